import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readFixture, SEED_RULE_YAML } from '../helpers/fixtures.js'
import { createTestTenant } from '../helpers/tenant.js'
import { graphql, startTestService, type TestService } from '../helpers/test-service.js'
import { uploadMultipart, waitForUpload } from '../helpers/uploads.js'

// Rule management as a detection engineer uses it: history, filters, validation, export,
// previews and impact on stored uploads, fixtures, explanations, deletion.

const SYSMON = readFixture('logs/sysmon/ngrok-synthetic.xml')
const SYSMON_LINES = SYSMON.toString('utf8').split('\n')
const TCP_ONLY = SEED_RULE_YAML.replace('Processes.process IN ("*start*", "*--config*","*http*","*authtoken*", "*http*", "*tcp*")', 'Processes.process IN ("*tcp*")')
const CONDITION = 'process_name = "ngrok.exe" AND process IN ("*start*", "*--config*", "*http*", "*authtoken*", "*http*", "*tcp*")'

describe('rule management', () => {
  let svc: TestService
  let key: string
  let ruleId: string
  let uploadId: string
  const gql = <T = any>(query: string, variables?: Record<string, unknown>) => graphql<T>(svc.url, key, query, variables)

  beforeAll(async () => {
    svc = await startTestService()
    key = (await createTestTenant(svc.databaseUrl, 'engineers')).apiKey
    const imported = await gql('mutation ($y: String!) { importRules(yaml: $y) { rules { id revision } } }', { y: SEED_RULE_YAML })
    ruleId = imported.data.importRules.rules[0].id
    uploadId = (await uploadMultipart(svc.url, key, 'ngrok.xml', SYSMON)).data!.uploadLogs.id
    expect((await waitForUpload(svc.url, key, uploadId)).status).toBe('SUCCEEDED_WITH_ERRORS')
  })
  afterAll(async () => {
    await svc?.close()
  })

  it('keeps history: the same YAML again is no new revision, a changed one is', async () => {
    const again = await gql('mutation ($y: String!) { importRules(yaml: $y) { rules { id revision } } }', { y: SEED_RULE_YAML })
    expect(again.data.importRules.rules).toEqual([{ id: ruleId, revision: 1 }])
    const changed = SEED_RULE_YAML.replace('Filter or monitor as needed.', 'Filter or monitor as needed; approved use is filtered.')
    const second = await gql('mutation ($y: String!) { importRules(yaml: $y) { rules { id revision } } }', { y: changed })
    expect(second.data.importRules.rules).toEqual([{ id: ruleId, revision: 2 }])
    const rule = await gql('query ($id: ID!) { rule(id: $id) { revision yaml versions { revision version yaml } } }', { id: ruleId })
    expect(rule.data.rule.revision).toBe(2)
    expect(rule.data.rule.yaml).toBe(changed)
    expect(rule.data.rule.versions.map((v: { revision: number; version: number }) => [v.revision, v.version])).toEqual([[2, 11], [1, 11]])
    expect(rule.data.rule.versions[1].yaml).toBe(SEED_RULE_YAML)
    // Back to the original text for the rest of the file (revision 3).
    await gql('mutation ($y: String!) { importRules(yaml: $y) { rules { id } } }', { y: SEED_RULE_YAML })
  })

  it('records the rule revision that produced a detection', async () => {
    const d = await gql('{ detections(first: 10) { edges { node { ruleRevision } } } }')
    expect(d.data.detections.edges.map((e: { node: { ruleRevision: number } }) => e.node.ruleRevision)).toEqual([1, 1, 1, 1])
  })

  it('filters rules on ATT&CK, tactic, story, type, status and enabled', async () => {
    const names = async (filter: Record<string, unknown>) => (await gql('query ($f: RuleFilter) { rules(filter: $f) { name } }', { f: filter })).data.rules.length
    expect(await names({ mitreTechnique: 't1572' })).toBe(1)
    expect(await names({ mitreTechnique: 'T1059' })).toBe(0)
    expect(await names({ tactic: 'command and control' })).toBe(1)
    expect(await names({ tactic: 'Execution' })).toBe(0)
    expect(await names({ analyticStory: 'Reverse Network Proxy' })).toBe(1)
    expect(await names({ type: 'anomaly', status: 'production', enabled: true })).toBe(1)
    expect(await names({ type: 'TTP' })).toBe(0)
    expect(await names({ enabled: false })).toBe(0)
    expect(await names({ search: 'NGROK' })).toBe(1)
  })

  it('validates YAML without storing it and shows the condition after macro expansion', async () => {
    const ok = await gql('query ($y: String!) { validateRule(yaml: $y) { valid errors { message } rules { name condition byFields aggregations filterMacro } } }', { y: SEED_RULE_YAML })
    expect(ok.data.validateRule).toMatchObject({ valid: true, errors: [] })
    expect(ok.data.validateRule.rules[0]).toMatchObject({
      name: 'Windows Ngrok Reverse Proxy Usage',
      condition: CONDITION,
      aggregations: ['count', 'firstTime', 'lastTime'],
      filterMacro: 'windows_ngrok_reverse_proxy_usage_filter',
    })
    expect(ok.data.validateRule.rules[0].byFields).toHaveLength(20)
    const bad = await gql('query ($y: String!) { validateRule(yaml: $y) { valid errors { field line column message } } }', { y: SEED_RULE_YAML.replace('Processes.process_name=ngrok.exe', 'Processes.process_name=ngrok.exe `no_such_macro`') })
    expect(bad.data.validateRule.valid).toBe(false)
    expect(bad.data.validateRule.errors[0]).toMatchObject({ field: 'search', line: 2 })
    expect(bad.data.validateRule.errors[0].message).toContain('no_such_macro')
    const rule = await gql('query ($id: ID!) { rule(id: $id) { condition } }', { id: ruleId })
    expect(rule.data.rule.condition).toBe(CONDITION)
  })

  it('exports the YAML unchanged', async () => {
    const out = await gql('{ exportRules }')
    expect(out.data.exportRules).toBe(SEED_RULE_YAML.endsWith('\n') ? SEED_RULE_YAML : SEED_RULE_YAML + '\n')
  })

  it('previews a draft over a stored upload without writing anything', async () => {
    const before = (await gql('{ detections { totalCount } }')).data.detections.totalCount
    const preview = await gql('query ($y: String!, $u: ID!) { previewRule(yaml: $y, uploadId: $u) { uploadId eventsExamined detections { rule { id name } fields count firstTime lastTime risk { object score } } } }', { y: TCP_ONLY, u: uploadId })
    expect(preview.errors).toBeUndefined()
    expect(preview.data.previewRule).toMatchObject({ uploadId, eventsExamined: 36 })
    expect(preview.data.previewRule.detections.map((d: any) => [d.fields.process, d.count, d.firstTime, d.lastTime])).toEqual([['NGROK.EXE tcp 3389', 3, '2026-03-15T22:41:17', '2026-03-15T22:41:19']])
    expect((await gql('{ detections { totalCount } }')).data.detections.totalCount).toBe(before)
    const broken = await gql('query ($y: String!, $u: ID!) { previewRule(yaml: $y, uploadId: $u) { uploadId } }', { y: 'name: x\n', u: uploadId })
    expect(broken.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT')
    const missing = await gql('query ($y: String!, $u: ID!) { previewRule(yaml: $y, uploadId: $u) { uploadId } }', { y: TCP_ONLY, u: '00000000-0000-4000-8000-000000000000' })
    expect(missing.errors?.[0]?.extensions?.code).toBe('NOT_FOUND')
  })

  it('shows the impact of replacing a rule by a draft', async () => {
    const impact = await gql('query ($id: ID!, $y: String!, $u: ID!) { ruleImpact(id: $id, yaml: $y, uploadId: $u) { added { fields } removed { fields } unchanged } }', { id: ruleId, y: TCP_ONLY, u: uploadId })
    expect(impact.data.ruleImpact.added).toEqual([])
    expect(impact.data.ruleImpact.unchanged).toBe(1)
    expect(impact.data.ruleImpact.removed.map((d: any) => d.fields.process).sort()).toEqual([
      '"C:\\Users\\alice\\AppData\\Local\\ngrok\\ngrok.exe" config add-authtoken 2dXkQ7rJwZ9bT4mN8vL1pF6sYc3_5hGaKe7UoRi2WnBq',
      'ngrok.exe http 8080',
      'ngrok.exe start --all --config C:\\Users\\alice\\AppData\\Local\\ngrok\\ngrok.yml',
    ])
  })

  it('explains a detection term by term', async () => {
    const list = await gql('{ detections(first: 10) { edges { node { id fields } } } }')
    const rowB = list.data.detections.edges.find((e: any) => e.node.fields.user === 'svc_tunnel').node
    const explained = await gql('query ($id: ID!) { explainDetection(id: $id) { detection { id } event terms { term field value matched satisfied } } }', { id: rowB.id })
    expect(explained.errors).toBeUndefined()
    expect(explained.data.explainDetection.detection.id).toBe(rowB.id)
    expect(explained.data.explainDetection.event.process_guid).toBe('{E41A0C7F-2001-69B5-0101-000000003F00}')
    expect(explained.data.explainDetection.terms).toEqual([
      { term: 'process_name="ngrok.exe"', field: 'process_name', value: 'NGROK.EXE', matched: true, satisfied: true },
      { term: 'process="*tcp*"', field: 'process', value: 'NGROK.EXE tcp 3389', matched: true, satisfied: true },
    ])
    const other = await graphql((svc as TestService).url, (await createTestTenant(svc.databaseUrl, 'outsider')).apiKey, 'query ($id: ID!) { explainDetection(id: $id) { terms { term } } }', { id: rowB.id })
    expect(other.errors?.[0]?.extensions?.code).toBe('NOT_FOUND')
  })

  it('runs fixtures: true positives must fire, true negatives must not', async () => {
    const tp = SYSMON_LINES[4]! // NGROK.EXE tcp 3389
    const tn = SYSMON_LINES[8]! // ngrok.exe version
    const set = await gql('mutation ($id: ID!, $f: [RuleFixtureInput!]!) { setRuleFixtures(id: $id, fixtures: $f) { fixtures { name kind } } }', {
      id: ruleId,
      f: [
        { name: 'tcp tunnel', kind: 'TRUE_POSITIVE', log: tp },
        { name: 'version check', kind: 'TRUE_NEGATIVE', log: tn },
      ],
    })
    expect(set.data.setRuleFixtures.fixtures).toEqual([
      { name: 'tcp tunnel', kind: 'TRUE_POSITIVE' },
      { name: 'version check', kind: 'TRUE_NEGATIVE' },
    ])
    const passing = await gql('query ($id: ID!) { testRule(id: $id) { passed fixtures { name passed detections processEvents } } }', { id: ruleId })
    expect(passing.data.testRule).toEqual({
      passed: true,
      fixtures: [
        { name: 'tcp tunnel', passed: true, detections: 1, processEvents: 1 },
        { name: 'version check', passed: true, detections: 0, processEvents: 1 },
      ],
    })
    await gql('mutation ($id: ID!, $f: [RuleFixtureInput!]!) { setRuleFixtures(id: $id, fixtures: $f) { id } }', { id: ruleId, f: [{ name: 'wrongly negative', kind: 'TRUE_NEGATIVE', log: tp }] })
    const failing = await gql('query ($id: ID!) { testRule(id: $id) { passed fixtures { name passed detections } } }', { id: ruleId })
    expect(failing.data.testRule).toEqual({ passed: false, fixtures: [{ name: 'wrongly negative', passed: false, detections: 1 }] })
  })

  it('deletes a rule with its detections and risk events', async () => {
    const res = await gql('mutation ($id: ID!) { deleteRule(id: $id) }', { id: ruleId })
    expect(res.data.deleteRule).toBe(ruleId)
    const after = await gql('query ($id: ID!) { rule(id: $id) { id } detections { totalCount } riskObjects { object } }', { id: ruleId })
    expect(after.data).toEqual({ rule: null, detections: { totalCount: 0 }, riskObjects: [] })
    const again = await gql('mutation ($id: ID!) { deleteRule(id: $id) }', { id: ruleId })
    expect(again.errors?.[0]?.extensions?.code).toBe('NOT_FOUND')
  })
})

describe('bundled content', () => {
  let svc: TestService
  let key: string
  const gql = <T = any>(query: string, variables?: Record<string, unknown>) => graphql<T>(svc.url, key, query, variables)
  beforeAll(async () => {
    svc = await startTestService({ worker: false })
    key = (await createTestTenant(svc.databaseUrl, 'starter')).apiKey
  })
  afterAll(async () => {
    await svc?.close()
  })

  it('lists the bundled rules, enables them all in one call, and every one passes its fixtures', async () => {
    const before = await gql('{ bundledRules { escuId name file rule { id } } }')
    const bundled = before.data.bundledRules
    expect(bundled.length).toBeGreaterThanOrEqual(16)
    expect(bundled.find((b: any) => b.file === 'windows_ngrok_reverse_proxy_usage.yml')).toMatchObject({ escuId: 'e2549f2c-0aef-408a-b0c1-e0f270623436', rule: null })
    const enabled = await gql('mutation { enableBundledRules { id escuId enabled fixtures { kind } } }')
    expect(enabled.errors).toBeUndefined()
    expect(enabled.data.enableBundledRules).toHaveLength(bundled.length)
    for (const rule of enabled.data.enableBundledRules) {
      expect(rule.enabled).toBe(true)
      expect(rule.fixtures.map((f: { kind: string }) => f.kind).sort()).toEqual(['TRUE_NEGATIVE', 'TRUE_POSITIVE'])
      const tested = await gql('query ($id: ID!) { testRule(id: $id) { passed fixtures { name passed detections } } }', { id: rule.id })
      expect(tested.data.testRule.passed, `${rule.escuId}: ${JSON.stringify(tested.data.testRule.fixtures)}`).toBe(true)
    }
    const after = await gql('{ bundledRules { rule { id enabled } } }')
    expect(after.data.bundledRules.every((b: any) => b.rule?.enabled === true)).toBe(true)
    // Enabling again is harmless: no new revision, same rules.
    const again = await gql('mutation ($ids: [String!]) { enableBundledRules(escuIds: $ids) { revision } }', { ids: ['e2549f2c-0aef-408a-b0c1-e0f270623436'] })
    expect(again.data.enableBundledRules).toEqual([{ revision: 1 }])
    const wrong = await gql('mutation { enableBundledRules(escuIds: ["nope"]) { id } }')
    expect(wrong.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT')
  })
})
