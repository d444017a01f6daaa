import { buildSchema, type GraphQLObjectType } from 'graphql'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { typeDefs } from '../../src/graphql/server.js'
import { readFixture, SEED_RULE_YAML } from '../helpers/fixtures.js'
import { createTestTenant } from '../helpers/tenant.js'
import { graphql, startTestService, type TestService } from '../helpers/test-service.js'
import { uploadMultipart, waitForUpload } from '../helpers/uploads.js'
import { subscribe, subscriptionClient } from '../helpers/subscriptions.js'

// Tenant B, holding an admin key, aims every operation of the schema at tenant A's ids. It must
// get NOT_FOUND (or null / an empty list) — never A's data, and never an answer that differs for
// an id that exists elsewhere from one that exists nowhere. The list of cases is checked against
// the schema, so a new operation without a case fails this test.

type Ids = { rule: string; upload: string; detection: string; apiKey: string; tenant: string; scan: string; schedule: string; exception: string; webhook: string; delivery: string }
type Expect = 'NOT_FOUND' | 'NO_DATA' | 'FORBIDDEN_ALWAYS'
/**
 * `creates`: the operation makes a new object of B's own, so two calls never answer alike.
 * `stamped`: the answer carries the time it was made, left out of the comparison.
 */
type Case = { doc: (ids: Ids) => string; vars?: (ids: Ids) => Record<string, unknown>; expect: Expect; creates?: boolean; stamped?: boolean }

const NOWHERE: Ids = {
  rule: '00000000-0000-4000-8000-000000000001',
  upload: '00000000-0000-4000-8000-000000000002',
  detection: '00000000-0000-4000-8000-000000000003',
  apiKey: '00000000-0000-4000-8000-000000000004',
  tenant: '00000000-0000-4000-8000-000000000005',
  scan: '00000000-0000-4000-8000-000000000006',
  schedule: '00000000-0000-4000-8000-000000000007',
  exception: '00000000-0000-4000-8000-000000000008',
  webhook: '00000000-0000-4000-8000-000000000009',
  delivery: '00000000-0000-4000-8000-00000000000a',
}

const CASES: Record<string, Case> = {
  // Queries
  rules: { doc: () => '{ rules { id } }', expect: 'NO_DATA' },
  rule: { doc: (i) => `{ rule(id: "${i.rule}") { id } }`, expect: 'NO_DATA' },
  upload: { doc: (i) => `{ upload(id: "${i.upload}") { id } }`, expect: 'NO_DATA' },
  uploads: { doc: () => '{ uploads { edges { node { id } } } }', expect: 'NO_DATA' },
  detections: { doc: (i) => `{ detections(filter: { ruleId: "${i.rule}" }) { totalCount edges { node { id } } } }`, expect: 'NO_DATA' },
  riskObjects: { doc: (i) => `{ riskObjects(filter: { ruleId: "${i.rule}" }) { object } }`, expect: 'NO_DATA' },
  mitreTechniques: { doc: (i) => `{ mitreTechniques(filter: { ruleId: "${i.rule}" }) { id detectionCount } }`, expect: 'NO_DATA' },
  mitreCoverage: { doc: () => '{ mitreCoverage(includeUncovered: false) { coveredTechniqueCount tactics { techniques { id detectionCount rules { id name } } } } }', expect: 'NO_DATA' },
  mitreCoverageLayer: { doc: () => '{ mitreCoverageLayer }', expect: 'NO_DATA', stamped: true },
  validateRule: { doc: () => '{ validateRule(yaml: "name: x") { valid } }', expect: 'NO_DATA' },
  exportRules: { doc: (i) => `{ exportRules(ids: ["${i.rule}"]) }`, expect: 'NO_DATA' },
  previewRule: { doc: (i) => `query ($y: String!) { previewRule(yaml: $y, uploadId: "${i.upload}") { uploadId } }`, vars: () => ({ y: SEED_RULE_YAML }), expect: 'NOT_FOUND' },
  ruleImpact: { doc: (i) => `query ($y: String!) { ruleImpact(id: "${i.rule}", yaml: $y, uploadId: "${i.upload}") { unchanged } }`, vars: () => ({ y: SEED_RULE_YAML }), expect: 'NOT_FOUND' },
  testRule: { doc: (i) => `{ testRule(id: "${i.rule}") { passed } }`, expect: 'NOT_FOUND' },
  explainDetection: { doc: (i) => `{ explainDetection(id: "${i.detection}") { terms { term } } }`, expect: 'NOT_FOUND' },
  bundledRules: { doc: () => '{ bundledRules { rule { id } } }', expect: 'NO_DATA' },
  crowdStrikeHostCount: { doc: () => '{ crowdStrikeHostCount }', expect: 'NO_DATA' },
  tenants: { doc: () => '{ tenants { id } }', expect: 'FORBIDDEN_ALWAYS' },
  apiKeys: { doc: () => '{ apiKeys { id } }', expect: 'NO_DATA' },
  // Runs before B's mutations below (cases run in this order), which B's own log would record
  // with A's ids as B sent them; A's log holds A's rule and upload ids, which must not show.
  auditLog: { doc: () => '{ auditLog(first: 200) { edges { node { id operation summary } } } }', expect: 'NO_DATA' },
  tenant: { doc: () => '{ tenant { id name retentionDays } }', expect: 'NO_DATA' }, // always the caller's own
  // Mutations
  createTenant: { doc: () => 'mutation { createTenant(name: "x") { apiKey } }', expect: 'FORBIDDEN_ALWAYS' },
  suspendTenant: { doc: (i) => `mutation { suspendTenant(id: "${i.tenant}") { id } }`, expect: 'FORBIDDEN_ALWAYS' },
  resumeTenant: { doc: (i) => `mutation { resumeTenant(id: "${i.tenant}") { id } }`, expect: 'FORBIDDEN_ALWAYS' },
  deleteTenant: { doc: (i) => `mutation { deleteTenant(id: "${i.tenant}") }`, expect: 'FORBIDDEN_ALWAYS' },
  createApiKey: { doc: () => 'mutation { createApiKey(name: "b", role: reader) { apiKey { id } } }', expect: 'NO_DATA', creates: true },
  revokeApiKey: { doc: (i) => `mutation { revokeApiKey(id: "${i.apiKey}") { id } }`, expect: 'NOT_FOUND' },
  setRetentionPeriod: { doc: () => 'mutation { setRetentionPeriod(days: 1) { id retentionDays } }', expect: 'NO_DATA' }, // takes no id: sets B's own
  importRules: { doc: () => 'mutation { importRules(yaml: "name: x") { errors { message } } }', expect: 'NO_DATA' },
  setRuleEnabled: { doc: (i) => `mutation { setRuleEnabled(id: "${i.rule}", enabled: false) { id } }`, expect: 'NOT_FOUND' },
  deleteRule: { doc: (i) => `mutation { deleteRule(id: "${i.rule}") }`, expect: 'NOT_FOUND' },
  ruleExceptions: { doc: (i) => `{ ruleExceptions(ruleId: "${i.rule}", includeExpired: true) { id comment rule { id } } }`, expect: 'NOT_FOUND' },
  createRuleException: {
    doc: (i) => `mutation { createRuleException(input: { ruleId: "${i.rule}", entries: [{ field: "user", operator: IS, value: "mallory" }], comment: "b was here" }) { id } }`,
    expect: 'NOT_FOUND',
  },
  updateRuleException: { doc: (i) => `mutation { updateRuleException(id: "${i.exception}", input: { comment: "b was here", expiresAt: "2020-01-01T00:00:00Z" }) { id } }`, expect: 'NOT_FOUND' },
  deleteRuleException: { doc: (i) => `mutation { deleteRuleException(id: "${i.exception}") }`, expect: 'NOT_FOUND' },
  enableBundledRules: { doc: () => 'mutation { enableBundledRules(escuIds: []) { id } }', expect: 'NO_DATA' },
  importCrowdStrikeHosts: { doc: () => 'mutation { importCrowdStrikeHosts(data: "aid,hostname") { inserted } }', expect: 'NO_DATA' },
  setRuleFixtures: { doc: (i) => `mutation { setRuleFixtures(id: "${i.rule}", fixtures: []) { id } }`, expect: 'NOT_FOUND' },
  uploadLogs: { doc: () => '{ __typename }', expect: 'NO_DATA' }, // takes a file, not an id: see the multipart tests
  deleteUpload: { doc: (i) => `mutation { deleteUpload(id: "${i.upload}") }`, expect: 'NOT_FOUND' },
  setDetectionStatus: { doc: (i) => `mutation { setDetectionStatus(id: "${i.detection}", status: CLOSED_FALSE_POSITIVE, comment: "b was here") { id status } }`, expect: 'NOT_FOUND' },
  assignDetection: { doc: (i) => `mutation { assignDetection(id: "${i.detection}", assignee: "mallory") { id assignee } }`, expect: 'NOT_FOUND' },
  addDetectionComment: { doc: (i) => `mutation { addDetectionComment(id: "${i.detection}", body: "b was here") { id } }`, expect: 'NOT_FOUND' },
  riskIncidents: { doc: () => '{ riskIncidents { totalCount edges { node { id riskObject riskEvents { object } rules { id } } } } }', expect: 'NO_DATA' },
  riskIncidentRules: { doc: () => '{ riskIncidentRules { name builtIn enabled } }', expect: 'NO_DATA' },
  setRiskIncidentStatus: { doc: (i) => `mutation { setRiskIncidentStatus(id: "${i.detection}", status: CLOSED) { id } }`, expect: 'NOT_FOUND' },
  setRiskIncidentRule: { doc: (i) => `mutation { setRiskIncidentRule(id: "${i.rule}", input: { enabled: false }) { id } }`, expect: 'NOT_FOUND' },
  scans: { doc: () => '{ scans { edges { node { id uploadId rules { ruleId } } } } }', expect: 'NO_DATA' },
  scan: { doc: (i) => `{ scan(id: "${i.scan}") { id } }`, expect: 'NO_DATA' },
  scanSchedules: { doc: () => '{ scanSchedules { id name rules { ruleIds } } }', expect: 'NO_DATA' },
  runScan: { doc: (i) => `mutation { runScan(rules: ["${i.rule}"], from: "2026-01-01T00:00:00Z", to: "2026-12-01T00:00:00Z") { id } }`, expect: 'NOT_FOUND' },
  rescanUpload: { doc: (i) => `mutation { rescanUpload(uploadId: "${i.upload}") { id } }`, expect: 'NOT_FOUND' },
  createScanSchedule: { doc: (i) => `mutation { createScanSchedule(input: { name: "b", cron: "0 * * * *", rules: { ids: ["${i.rule}"] } }) { id } }`, expect: 'NOT_FOUND' },
  updateScanSchedule: { doc: (i) => `mutation { updateScanSchedule(id: "${i.schedule}", input: { name: "b", cron: "0 * * * *" }) { id } }`, expect: 'NOT_FOUND' },
  pauseScanSchedule: { doc: (i) => `mutation { pauseScanSchedule(id: "${i.schedule}") { id } }`, expect: 'NOT_FOUND' },
  resumeScanSchedule: { doc: (i) => `mutation { resumeScanSchedule(id: "${i.schedule}") { id } }`, expect: 'NOT_FOUND' },
  deleteScanSchedule: { doc: (i) => `mutation { deleteScanSchedule(id: "${i.schedule}") }`, expect: 'NOT_FOUND' },
  setRuleAlerting: { doc: (i) => `mutation { setRuleAlerting(id: "${i.rule}", input: { maxDetectionsPerRun: 1 }) { id } }`, expect: 'NOT_FOUND' },
  webhooks: { doc: () => '{ webhooks { id name url events } }', expect: 'NO_DATA' },
  webhookDeliveries: { doc: (i) => `{ webhookDeliveries(webhookId: "${i.webhook}") { totalCount edges { node { id eventId payload } } } }`, expect: 'NOT_FOUND' },
  createWebhook: { doc: () => 'mutation { createWebhook(input: { name: "b", url: "https://hooks.example.invalid/b", events: [DETECTION_CREATED] }) { webhook { id } secret } }', expect: 'NO_DATA', creates: true },
  updateWebhook: { doc: (i) => `mutation { updateWebhook(id: "${i.webhook}", input: { url: "https://hooks.example.invalid/b-was-here" }) { id url } }`, expect: 'NOT_FOUND' },
  rotateWebhookSecret: { doc: (i) => `mutation { rotateWebhookSecret(id: "${i.webhook}") { secret } }`, expect: 'NOT_FOUND' },
  testWebhook: { doc: (i) => `mutation { testWebhook(id: "${i.webhook}") { id payload } }`, expect: 'NOT_FOUND' },
  redeliverWebhookDelivery: { doc: (i) => `mutation { redeliverWebhookDelivery(id: "${i.delivery}") { id payload } }`, expect: 'NOT_FOUND' },
  deleteWebhook: { doc: (i) => `mutation { deleteWebhook(id: "${i.webhook}") }`, expect: 'NOT_FOUND' },
}

/**
 * Subscriptions, over WebSocket. NOT_FOUND: B aims at A's id and must be refused exactly as for an
 * id that exists nowhere. EVENTS_OF_A: B listens while A makes such events, and must receive none.
 */
const SUBSCRIPTION_CASES: Record<string, { doc: (ids: Ids) => string; expect: 'NOT_FOUND' | 'EVENTS_OF_A' }> = {
  uploadProgress: { doc: (i) => `subscription { uploadProgress(id: "${i.upload}") { id status progress { bytesProcessed } } }`, expect: 'NOT_FOUND' },
  detectionCreated: { doc: () => 'subscription { detectionCreated { id rule { id } fields } }', expect: 'EVENTS_OF_A' },
}

describe('tenant isolation matrix (generated from the schema)', () => {
  let svc: TestService
  let keyA: string
  let keyB: string
  let a: Ids

  beforeAll(async () => {
    svc = await startTestService()
    const tenantA = await createTestTenant(svc.databaseUrl, 'tenant-a')
    keyA = tenantA.apiKey
    keyB = (await createTestTenant(svc.databaseUrl, 'tenant-b')).apiKey
    const gqlA = <T = any>(q: string, v?: Record<string, unknown>) => graphql<T>(svc.url, tenantA.apiKey, q, v)
    const rule = (await gqlA('mutation ($y: String!) { importRules(yaml: $y) { rules { id } } }', { y: SEED_RULE_YAML })).data.importRules.rules[0].id
    // A's webhook is there before the upload, which writes its deliveries (to a name that never resolves).
    const webhook = (await gqlA('mutation { createWebhook(input: { name: "a", url: "https://hooks.example.invalid/a", events: [DETECTION_CREATED] }) { webhook { id } } }')).data.createWebhook.webhook.id
    const upload = (await uploadMultipart(svc.url, tenantA.apiKey, 'a.xml', readFixture('logs/sysmon/ngrok-synthetic.xml'))).data!.uploadLogs.id
    await waitForUpload(svc.url, tenantA.apiKey, upload)
    const detection = (await gqlA('{ detections(first: 1) { edges { node { id } } } }')).data.detections.edges[0].node.id
    const apiKey = (await gqlA('{ apiKeys { id } }')).data.apiKeys[0].id
    const scan = (await gqlA('mutation ($u: ID!) { rescanUpload(uploadId: $u) { id } }', { u: upload })).data.rescanUpload.id
    const schedule = (await gqlA('mutation { createScanSchedule(input: { name: "a", cron: "0 * * * *" }) { id } }')).data.createScanSchedule.id
    const exception = (
      await gqlA('mutation ($r: ID!) { createRuleException(input: { ruleId: $r, entries: [{ field: "user", operator: IS, value: "nobody" }], comment: "a only" }) { id } }', { r: rule })
    ).data.createRuleException.id
    const delivery = (await gqlA('query ($w: ID!) { webhookDeliveries(webhookId: $w, first: 1) { edges { node { id } } } }', { w: webhook })).data.webhookDeliveries.edges[0].node.id
    a = { rule, upload, detection, apiKey, tenant: tenantA.tenant.id, scan, schedule, exception, webhook, delivery }
  })
  afterAll(async () => {
    await svc?.close()
  })

  it('has a case for every query and mutation of the schema', () => {
    const schema = buildSchema(typeDefs)
    const operations = [schema.getQueryType(), schema.getMutationType()].flatMap((t) => Object.keys((t as GraphQLObjectType).getFields()))
    expect(operations.filter((op) => !(op in CASES)), 'operations without an isolation case').toEqual([])
    const subscriptions = Object.keys(schema.getSubscriptionType()?.getFields() ?? {})
    expect(subscriptions.filter((op) => !(op in SUBSCRIPTION_CASES)), 'subscriptions without an isolation case').toEqual([])
  })

  it.each(Object.entries(CASES))('%s: tenant B gets nothing of tenant A, and the same answer as for an id that exists nowhere', async (_op, c) => {
    const onA = await graphql(svc.url, keyB, c.doc(a), c.vars?.(a))
    const onNowhere = await graphql(svc.url, keyB, c.doc(NOWHERE), c.vars?.(NOWHERE))
    const leaked = Object.values(a).filter((id) => JSON.stringify(onA).includes(id) && !c.doc(a).includes(id))
    expect(leaked, 'ids of tenant A in the answer').toEqual([])
    const code = onA.errors?.[0]?.extensions?.code
    if (c.expect === 'NOT_FOUND') expect(code).toBe('NOT_FOUND')
    if (c.expect === 'FORBIDDEN_ALWAYS') expect(code).toBe('FORBIDDEN')
    if (c.expect === 'NO_DATA') expect(onA.errors).toBeUndefined()
    if (c.creates) return
    // The answer must not depend on whether the id exists in another tenant.
    const unstamped = (text: string) => (c.stamped ? text.replace(/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z/g, '<time>') : text)
    const normalise = (r: unknown, ids: Ids) => unstamped(Object.values(ids).reduce((s, id, i) => s.replaceAll(id, `<id${i}>`), JSON.stringify(r)))
    expect(normalise(onA, a)).toBe(normalise(onNowhere, NOWHERE))
  })

  it('leaves tenant A’s data intact after all of that', async () => {
    const res = await graphql<any>(svc.url, keyA, `{ rule(id: "${a.rule}") { enabled } upload(id: "${a.upload}") { status } detections { totalCount } apiKeys { revokedAt } tenant { retentionDays } }`)
    expect(res.data).toEqual({ rule: { enabled: true }, upload: { status: 'SUCCEEDED_WITH_ERRORS' }, detections: { totalCount: 4 }, apiKeys: [{ revokedAt: null }], tenant: { retentionDays: null } })
    const triage = await graphql<any>(svc.url, keyA, '{ detections { edges { node { status assignee comments { id } } } } }')
    expect(triage.data.detections.edges.map((e: any) => e.node)).toEqual(Array.from({ length: 4 }, () => ({ status: 'NEW', assignee: null, comments: [] })))
  })

  it('leaves tenant A’s webhook and its deliveries intact after all of that', async () => {
    const res = await graphql<any>(svc.url, keyA, `{ webhooks { id name url } webhookDeliveries(webhookId: "${a.webhook}") { totalCount } }`)
    expect(res.data).toEqual({ webhooks: [{ id: a.webhook, name: 'a', url: 'https://hooks.example.invalid/a' }], webhookDeliveries: { totalCount: 4 } })
  })

  it('leaves tenant A’s rule exceptions intact after all of that', async () => {
    const res = await graphql<any>(svc.url, keyA, '{ ruleExceptions(includeExpired: true) { id comment expiresAt updatedBy rule { id } } }')
    expect(res.data.ruleExceptions).toEqual([{ id: a.exception, comment: 'a only', expiresAt: null, updatedBy: 'initial admin key', rule: { id: a.rule } }])
  })
  // Last: the detectionCreated case makes new detections of A's, which the checks above count.
  it.each(Object.entries(SUBSCRIPTION_CASES))('subscription %s: tenant B receives nothing of tenant A', async (_op, c) => {
    const client = subscriptionClient(svc.url, keyB)
    try {
      if (c.expect === 'NOT_FOUND') {
        const outcome = (ids: Ids) => subscribe(client, c.doc(ids)).done.then((r) => JSON.stringify(r), (e: Error) => e.message)
        const [onA, onNowhere] = [await outcome(a), await outcome(NOWHERE)]
        expect(onA).toMatch(/NOT_FOUND/)
        const normalise = (text: string, ids: Ids) => Object.values(ids).reduce((t, id, i) => t.replaceAll(id, `<id${i}>`), text)
        expect(normalise(onA, a)).toBe(normalise(onNowhere, NOWHERE))
        return
      }
      const listening = subscribe(client, c.doc(a))
      await new Promise((r) => setTimeout(r, 300))
      // New BY values (another host), so the upload creates new detections of A's.
      const elsewhere = Buffer.from(readFixture('logs/sysmon/ngrok-synthetic.xml').toString('utf8').replaceAll('WS-DEV04', 'WS-ISO99').replace(/<EventRecordID>(\d+)</g, (_m, n: string) => `<EventRecordID>${Number(n) + 7_000_000}<`))
      const upload = (await uploadMultipart(svc.url, keyA, 'elsewhere.xml', elsewhere)).data!.uploadLogs.id
      await waitForUpload(svc.url, keyA, upload)
      const created = await graphql<any>(svc.url, keyA, '{ detections(first: 200) { edges { node { fields } } } }')
      expect(created.data.detections.edges.some((e: any) => e.node.fields.dest?.startsWith('WS-ISO99')), 'the upload created new detections of A').toBe(true)
      await new Promise((r) => setTimeout(r, 500))
      expect(listening.results).toEqual([])
      listening.stop()
    } finally {
      await client.dispose()
    }
  })
})
