import { createHash } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { lineOffset, readFixture, SEED_RULE_YAML } from '../helpers/fixtures.js'
import { createTestTenant } from '../helpers/tenant.js'
import { graphql, startTestService, type TestService } from '../helpers/test-service.js'
import { uploadMultipart, waitForUpload } from '../helpers/uploads.js'

// The walking skeleton end to end, over real HTTP, Postgres, Redis and a BullMQ worker: import the
// ESCU seed rule, upload the synthetic Sysmon log, and check the grouped detections, risk objects
// and ATT&CK tags against the expectations written down in test/fixtures/logs/README.md.

const SYSMON = readFixture('logs/sysmon/ngrok-synthetic.xml')

const DETECTIONS = `query ($filter: DetectionFilter, $first: Int) { detections(filter: $filter, first: $first) {
  totalCount pageInfo { hasNextPage endCursor }
  edges { cursor node { id rule { id name } fields count firstTime lastTime firstSeen lastSeen
    riskEvents { object type score message } threatObjects { value type } mitre { id name tactics } } } } }`

const message = (parent: string, proc: string, dest: string, user: string): string =>
  `A reverse proxy was identified spawning from ${parent} -  ${proc} on endpoint ${dest} by user ${user}.`

describe('ngrok rule end to end', () => {
  let svc: TestService
  let keyA: string
  let keyB: string
  let ruleId: string
  let uploadId: string

  beforeAll(async () => {
    svc = await startTestService()
    keyA = (await createTestTenant(svc.databaseUrl, 'tenant-a')).apiKey
    keyB = (await createTestTenant(svc.databaseUrl, 'tenant-b')).apiKey
  })
  afterAll(async () => {
    await svc?.close()
  })

  it('answers /healthz and /readyz', async () => {
    expect((await fetch(`${svc.url}/healthz`)).status).toBe(200)
    const ready = await fetch(`${svc.url}/readyz`)
    expect(ready.status).toBe(200)
    expect(await ready.json()).toEqual({ status: 'ready', checks: { postgres: 'ok', migrations: 'ok', redis: 'ok' } })
  })

  it('refuses requests without a valid API key', async () => {
    const none = await graphql(svc.url, null, '{ rules { id } }')
    expect(none.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED')
    const forged = await graphql(svc.url, 'wp_0123456789_' + 'x'.repeat(32), '{ rules { id } }')
    expect(forged.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED')
    expect(JSON.stringify(forged)).not.toContain('x'.repeat(32))
    // A refused key is HTTP 401, not a server error.
    const res = await fetch(`${svc.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer wp_0123456789_' + 'x'.repeat(32) }, body: '{"query":"{ rules { id } }"}' })
    expect(res.status).toBe(401)
  })

  it('imports the ESCU seed rule as written, with its RBA, ATT&CK and drilldowns', async () => {
    const res = await graphql<{ importRules: { rules: { id: string; name: string; escuId: string; version: number; enabled: boolean; yaml: string; rba: unknown; mitre: unknown; drilldowns: { name: string }[]; analyticStories: string[] }[]; errors: unknown[] } }>(
      svc.url,
      keyA,
      `mutation ($yaml: String!) { importRules(yaml: $yaml) { errors { document line message }
        rules { id name escuId version enabled yaml analyticStories drilldowns { name }
          rba { message riskObjects { field type score } threatObjects { field type } } mitre { id name tactics } } } }`,
      { yaml: SEED_RULE_YAML },
    )
    expect(res.errors).toBeUndefined()
    const [rule] = res.data!.importRules.rules
    expect(res.data!.importRules.errors).toEqual([])
    expect(rule).toMatchObject({ name: 'Windows Ngrok Reverse Proxy Usage', escuId: 'e2549f2c-0aef-408a-b0c1-e0f270623436', version: 11, enabled: true, yaml: SEED_RULE_YAML })
    expect(rule!.analyticStories).toEqual(['Reverse Network Proxy', 'CISA AA22-320A', 'CISA AA24-241A'])
    expect(rule!.drilldowns).toHaveLength(2)
    expect(rule!.rba).toEqual({
      message: 'A reverse proxy was identified spawning from $parent_process_name$ -  $process_name$ on endpoint $dest$ by user $user$.',
      riskObjects: [
        { field: 'user', type: 'user', score: 20 },
        { field: 'dest', type: 'system', score: 20 },
      ],
      threatObjects: [
        { field: 'parent_process_name', type: 'parent_process_name' },
        { field: 'process_name', type: 'process_name' },
      ],
    })
    expect(rule!.mitre).toEqual([
      { id: 'T1572', name: 'Protocol Tunneling', tactics: ['Command And Control'] },
      { id: 'T1090', name: 'Proxy', tactics: ['Command And Control'] },
      { id: 'T1102', name: 'Web Service', tactics: ['Command And Control'] },
    ])
    ruleId = rule!.id
  })

  it('rejects a rule that cannot be parsed, with the position and reason, and keeps the good ones', async () => {
    const bad = SEED_RULE_YAML.replace('| `drop_dm_object_name(Processes)`', '| join type=inner dest [search index=x]\n    | `drop_dm_object_name(Processes)`').replace(
      'e2549f2c-0aef-408a-b0c1-e0f270623436',
      '11111111-2222-3333-4444-555555555555',
    )
    const res = await graphql<{ importRules: { rules: unknown[]; errors: { document: number; line: number; column: number; field: string; message: string }[] } }>(
      svc.url,
      keyA,
      'mutation ($yaml: String!) { importRules(yaml: $yaml) { rules { id } errors { document line column field message } } }',
      { yaml: bad },
    )
    expect(res.data!.importRules.rules).toEqual([])
    const [err] = res.data!.importRules.errors
    expect(err).toMatchObject({ document: 0, field: 'search', line: 10, column: 3 })
    expect(err!.message).toMatch(/join/)
    const rules = await graphql<{ rules: { id: string }[] }>(svc.url, keyA, '{ rules { id } }')
    expect(rules.data!.rules.map((r) => r.id)).toEqual([ruleId])
  })

  it('stores a multipart upload and processes it in the worker', async () => {
    const res = await uploadMultipart(svc.url, keyA, 'ngrok-synthetic.xml', SYSMON)
    expect(res.errors).toBeUndefined()
    const up = res.data!.uploadLogs
    expect(up).toMatchObject({ status: 'QUEUED', fileName: 'ngrok-synthetic.xml', sizeBytes: SYSMON.length, sha256: createHash('sha256').update(SYSMON).digest('hex') })
    uploadId = up.id
    const done = await waitForUpload(svc.url, keyA, uploadId)
    expect(done).toMatchObject({
      status: 'SUCCEEDED_WITH_ERRORS',
      eventCount: 39,
      processEvents: 36,
      skipped: 3,
      errorCount: 1,
      detectionRows: 4,
      progress: { bytesProcessed: SYSMON.length, bytesTotal: SYSMON.length, fraction: 1 },
    })
    expect(done.errors).toEqual([{ line: 30, offset: lineOffset(SYSMON, 30), message: 'unexpected end of XML: <Event> not closed (a new <Event> starts on line 31)' }])
  })

  it('returns exactly the four grouped detections, with risk events, threat objects and ATT&CK', async () => {
    const res = await graphql<{ detections: { totalCount: number; edges: { node: Record<string, any> }[] } }>(svc.url, keyA, DETECTIONS, { first: 10 })
    expect(res.errors).toBeUndefined()
    expect(res.data!.detections.totalCount).toBe(4)
    const rows = res.data!.detections.edges.map((e) => e.node)
    const summary = rows.map((d) => ({ process: d.fields.process, user: d.fields.user, dest: d.fields.dest, count: d.count, firstTime: d.firstTime, lastTime: d.lastTime }))
    // Ordered by lastTime, most recent first.
    expect(summary).toEqual([
      { process: 'ngrok.exe http 8080', user: 'dave', dest: 'WS-DEV04.corp.example.com', count: 2, firstTime: '2026-03-16T14:05:09', lastTime: '2026-03-16T14:05:10' },
      { process: 'NGROK.EXE tcp 3389', user: 'svc_tunnel', dest: 'SRV-APP03.corp.example.com', count: 3, firstTime: '2026-03-15T22:41:17', lastTime: '2026-03-15T22:41:19' },
      { process: 'ngrok.exe start --all --config C:\\Users\\alice\\AppData\\Local\\ngrok\\ngrok.yml', user: 'alice', dest: 'WS-ALICE01.corp.example.com', count: 1, firstTime: '2026-03-14T09:12:03', lastTime: '2026-03-14T09:12:03' },
      {
        process: '"C:\\Users\\alice\\AppData\\Local\\ngrok\\ngrok.exe" config add-authtoken 2dXkQ7rJwZ9bT4mN8vL1pF6sYc3_5hGaKe7UoRi2WnBq',
        user: 'alice',
        dest: 'WS-ALICE01.corp.example.com',
        count: 1,
        firstTime: '2026-03-14T09:10:41',
        lastTime: '2026-03-14T09:10:41',
      },
    ])
    const rowB = rows[1]!
    expect(Object.keys(rowB.fields)).toEqual([
      'action', 'dest', 'original_file_name', 'parent_process', 'parent_process_exec', 'parent_process_guid', 'parent_process_id',
      'parent_process_name', 'parent_process_path', 'process', 'process_exec', 'process_guid', 'process_hash', 'process_id',
      'process_integrity_level', 'process_name', 'process_path', 'user', 'user_id', 'vendor_product',
    ])
    expect(rowB.fields).toMatchObject({
      action: 'allowed',
      original_file_name: 'ngrok.exe',
      parent_process: 'C:\\Windows\\system32\\cmd.exe /c C:\\TOOLS\\tunnel.cmd',
      parent_process_exec: 'cmd.exe',
      parent_process_guid: '{E41A0C7F-2000-69B5-0100-000000003F00}',
      parent_process_id: '2904',
      parent_process_name: 'cmd.exe',
      parent_process_path: 'C:\\Windows\\System32\\cmd.exe',
      process_exec: 'NGROK.EXE',
      process_guid: '{E41A0C7F-2001-69B5-0101-000000003F00}',
      process_id: '3388',
      process_integrity_level: 'high',
      process_name: 'NGROK.EXE',
      process_path: 'C:\\TOOLS\\NGROK.EXE',
      user_id: 'S-1-5-18',
      vendor_product: 'Microsoft Sysmon',
    })
    expect(rowB.fields.process_hash).toMatch(/^SHA1=2F1C[0-9A-F]+,MD5=6D0B[0-9A-F]+,SHA256=9B3E[0-9A-F]+,IMPHASH=C1A9[0-9A-F]+$/)
    expect(rowB.riskEvents).toEqual([
      { object: 'SRV-APP03.corp.example.com', type: 'system', score: 20, message: message('cmd.exe', 'NGROK.EXE', 'SRV-APP03.corp.example.com', 'svc_tunnel') },
      { object: 'svc_tunnel', type: 'user', score: 20, message: message('cmd.exe', 'NGROK.EXE', 'SRV-APP03.corp.example.com', 'svc_tunnel') },
    ])
    expect(rowB.threatObjects).toEqual([
      { value: 'cmd.exe', type: 'parent_process_name' },
      { value: 'NGROK.EXE', type: 'process_name' },
    ])
    expect(rowB.mitre.map((m: { id: string }) => m.id)).toEqual(['T1572', 'T1090', 'T1102'])
    expect(rowB.rule).toEqual({ id: ruleId, name: 'Windows Ngrok Reverse Proxy Usage' })
  })

  it('pages through detections with cursors and filters them', async () => {
    const first = await graphql<{ detections: { edges: { cursor: string; node: { fields: { process: string } } }[]; pageInfo: { hasNextPage: boolean; endCursor: string } } }>(svc.url, keyA, DETECTIONS, { first: 3 })
    expect(first.data!.detections.pageInfo.hasNextPage).toBe(true)
    const next = await graphql<{ detections: { edges: { node: { fields: { user: string } } }[]; pageInfo: { hasNextPage: boolean } } }>(
      svc.url,
      keyA,
      DETECTIONS.replace('detections(filter: $filter, first: $first)', 'detections(filter: $filter, first: $first, after: $after)').replace('$first: Int)', '$first: Int, $after: String)'),
      { first: 3, after: first.data!.detections.pageInfo.endCursor },
    )
    expect(next.data!.detections.edges.map((e) => e.node.fields.user)).toEqual(['alice'])
    expect(next.data!.detections.pageInfo.hasNextPage).toBe(false)
    const alice = await graphql<{ detections: { totalCount: number } }>(svc.url, keyA, DETECTIONS, { filter: { user: 'ALICE' } })
    expect(alice.data!.detections.totalCount).toBe(2)
    const byTechnique = await graphql<{ detections: { totalCount: number } }>(svc.url, keyA, DETECTIONS, { filter: { mitreTechnique: 'T1090' } })
    expect(byTechnique.data!.detections.totalCount).toBe(4)
    const tooMany = await graphql(svc.url, keyA, DETECTIONS, { first: 100_000 })
    expect(tooMany.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT')
  })

  it('sums risk per risk object', async () => {
    const res = await graphql<{ riskObjects: Record<string, unknown>[] }>(
      svc.url,
      keyA,
      '{ riskObjects { object type totalScore riskEventCount ruleCount tactics techniques { id } rules { name } } }',
    )
    expect(res.errors).toBeUndefined()
    const techniques = [{ id: 'T1090' }, { id: 'T1102' }, { id: 'T1572' }]
    const common = { ruleCount: 1, tactics: ['Command And Control'], techniques, rules: [{ name: 'Windows Ngrok Reverse Proxy Usage' }] }
    expect(res.data!.riskObjects).toEqual([
      { object: 'WS-ALICE01.corp.example.com', type: 'system', totalScore: 40, riskEventCount: 2, ...common },
      { object: 'alice', type: 'user', totalScore: 40, riskEventCount: 2, ...common },
      { object: 'SRV-APP03.corp.example.com', type: 'system', totalScore: 20, riskEventCount: 1, ...common },
      { object: 'WS-DEV04.corp.example.com', type: 'system', totalScore: 20, riskEventCount: 1, ...common },
      { object: 'dave', type: 'user', totalScore: 20, riskEventCount: 1, ...common },
      { object: 'svc_tunnel', type: 'user', totalScore: 20, riskEventCount: 1, ...common },
    ])
    const users = await graphql<{ riskObjects: { object: string }[] }>(svc.url, keyA, '{ riskObjects(filter: { type: "user" }) { object } }')
    expect(users.data!.riskObjects.map((r) => r.object)).toEqual(['alice', 'dave', 'svc_tunnel'])
  })

  it('lists the ATT&CK techniques with their detection counts', async () => {
    const res = await graphql<{ mitreTechniques: unknown[] }>(svc.url, keyA, '{ mitreTechniques { id name tactics ruleCount detectionCount } }')
    expect(res.data!.mitreTechniques).toEqual([
      { id: 'T1090', name: 'Proxy', tactics: ['Command And Control'], ruleCount: 1, detectionCount: 4 },
      { id: 'T1102', name: 'Web Service', tactics: ['Command And Control'], ruleCount: 1, detectionCount: 4 },
      { id: 'T1572', name: 'Protocol Tunneling', tactics: ['Command And Control'], ruleCount: 1, detectionCount: 4 },
    ])
  })

  it('accepts raw and gzip bodies on POST /v1/uploads', async () => {
    const { gzipSync } = await import('node:zlib')
    const post = (body: Buffer) =>
      fetch(`${svc.url}/v1/uploads?fileName=ngrok.xml.gz`, { method: 'POST', headers: { authorization: `Bearer ${keyA}` }, body })
    const res = await post(gzipSync(readFixture('logs/security-4688/ngrok-synthetic.xml')))
    expect(res.status).toBe(202)
    const { upload } = (await res.json()) as { upload: { id: string; status: string } }
    const done = await waitForUpload(svc.url, keyA, upload.id)
    expect(done).toMatchObject({ status: 'SUCCEEDED', processEvents: 6, skipped: 1, errorCount: 0, detectionRows: 3 })
    const status = await fetch(`${svc.url}/v1/uploads/${upload.id}`, { headers: { authorization: `Bearer ${keyA}` } })
    expect(((await status.json()) as { upload: { status: string } }).upload.status).toBe('SUCCEEDED')
  })

  it('shows tenant B none of tenant A’s rules, uploads or detections', async () => {
    const rules = await graphql<{ rules: unknown[]; rule: unknown }>(svc.url, keyB, 'query ($id: ID!) { rules { id } rule(id: $id) { id } }', { id: ruleId })
    expect(rules.data).toEqual({ rules: [], rule: null })
    const upload = await graphql<{ upload: unknown; uploads: { edges: unknown[] } }>(svc.url, keyB, 'query ($id: ID!) { upload(id: $id) { id } uploads { edges { cursor } } }', { id: uploadId })
    expect(upload.data).toEqual({ upload: null, uploads: { edges: [] } })
    const detections = await graphql<{ detections: { totalCount: number; edges: unknown[] } }>(svc.url, keyB, DETECTIONS, {})
    expect(detections.data!.detections).toMatchObject({ totalCount: 0, edges: [] })
    const risk = await graphql<{ riskObjects: unknown[]; mitreTechniques: unknown[] }>(svc.url, keyB, '{ riskObjects { object } mitreTechniques { id } }')
    expect(risk.data).toEqual({ riskObjects: [], mitreTechniques: [] })
    const toggle = await graphql(svc.url, keyB, 'mutation ($id: ID!) { setRuleEnabled(id: $id, enabled: false) { id } }', { id: ruleId })
    expect(toggle.errors?.[0]?.extensions?.code).toBe('NOT_FOUND')
    const rest = await fetch(`${svc.url}/v1/uploads/${uploadId}`, { headers: { authorization: `Bearer ${keyB}` } })
    expect(rest.status).toBe(404)
  })

  it('lets tenant A disable its rule', async () => {
    const res = await graphql<{ setRuleEnabled: { id: string; enabled: boolean } }>(svc.url, keyA, 'mutation ($id: ID!) { setRuleEnabled(id: $id, enabled: false) { id enabled } }', { id: ruleId })
    expect(res.data!.setRuleEnabled).toEqual({ id: ruleId, enabled: false })
  })
})

describe('malformed HTTP requests', () => {
  let svc: TestService
  beforeAll(async () => {
    svc = await startTestService({ worker: false })
  })
  afterAll(async () => {
    await svc?.close()
  })

  it('answers a body that is not JSON with a JSON error, not an HTML stack trace', async () => {
    const res = await fetch(`${svc.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query": "{\n rules { id } }"}' })
    expect(res.status).toBe(400)
    expect(res.headers.get('content-type')).toMatch(/application\/json/)
    const body = (await res.json()) as { errors: { message: string; extensions: { code: string } }[] }
    expect(body.errors[0]!.extensions.code).toBe('BAD_REQUEST')
    expect(body.errors[0]!.message).toMatch(/not valid JSON/)
    expect(JSON.stringify(body)).not.toMatch(/node_modules|at JSON\.parse/)
  })

  it('checks the API key before reading an upload body', async () => {
    const res = await fetch(`${svc.url}/v1/uploads?format=evtx`, { method: 'POST', body: 'x', headers: { authorization: 'Bearer nope' } })
    expect(res.status).toBe(401)
  })
})

describe('query-shape limits', () => {
  let svc: TestService
  let key: string
  beforeAll(async () => {
    svc = await startTestService({ worker: false })
    key = (await createTestTenant(svc.databaseUrl, 'limits')).apiKey
  })
  afterAll(async () => {
    await svc?.close()
  })

  it('refuses queries that are too deep, use too many aliases, or come as a batch, naming the limit', async () => {
    const ordinary = await graphql(svc.url, key, '{ detections { edges { node { rule { versions { yaml } mitre { id } rba { riskObjects { field } } } riskEvents { threatObjects { value } } } } } }')
    expect(ordinary.errors).toBeUndefined()
    // The schema has no cycles, so only a query naming unknown fields can be this deep; the depth
    // rule must still report it (introspection is exempt, so GraphiQL keeps working).
    const deep = await graphql(svc.url, key, '{ rules { a { b { c { d { e { f { g { h { i { j { k } } } } } } } } } } } }')
    expect(deep.errors?.every((e) => e.extensions?.code === 'GRAPHQL_VALIDATION_FAILED')).toBe(true)
    expect(deep.errors?.some((e) => /depth/i.test(e.message))).toBe(true)
    const aliases = '{ ' + Array.from({ length: 16 }, (_, i) => `a${i}: rules { id }`).join(' ') + ' }'
    const many = await graphql(svc.url, key, aliases)
    expect(many.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED')
    expect(many.errors?.[0]?.message).toMatch(/aliases/i)
    const batch = await fetch(`${svc.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: JSON.stringify([{ query: '{ rules { id } }' }, { query: '{ rules { id } }' }]),
    })
    expect(batch.status).toBe(400)
  })

  it('answers a syntax error and a query of too many tokens with HTTP 400 and GRAPHQL_PARSE_FAILED, never a server error', async () => {
    const post = (query: string) =>
      fetch(`${svc.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` }, body: JSON.stringify({ query }) })
    for (const query of ['{ rules ', '{ rules { id } ', 'query {', '}{']) {
      const res = await post(query)
      expect(res.status, query).toBe(400)
      const body = (await res.json()) as { errors: { message: string; extensions: { code: string } }[] }
      expect(body.errors[0]).toMatchObject({ extensions: { code: 'GRAPHQL_PARSE_FAILED' } })
      expect(body.errors[0]!.message).toMatch(/^Syntax Error/)
    }
    const long = await post('{ ' + Array.from({ length: 2100 }, (_, i) => `f${i}`).join(' ') + ' }')
    expect(long.status).toBe(400)
    const body = (await long.json()) as { errors: { message: string; extensions: { code: string } }[] }
    expect(body.errors[0]).toMatchObject({ extensions: { code: 'GRAPHQL_PARSE_FAILED' } })
    expect(body.errors[0]!.message).toMatch(/Document contains more th[a-z]+ 2000 tokens/)
  })
})
