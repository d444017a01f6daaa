import { randomUUID } from 'node:crypto'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { evaluateRiskIncidents } from '../../src/store/risk-incident-evaluation.js'
import { readFixture, SEED_RULE_YAML } from '../helpers/fixtures.js'
import { createTestTenant } from '../helpers/tenant.js'
import { uploadMultipart, waitForUpload } from '../helpers/uploads.js'
import { graphql, startTestService, type TestService } from '../helpers/test-service.js'

/**
 * Risk incidents (ES risk-based alerting): the two built-in defaults at their thresholds, custom
 * rules, deduplication on re-evaluation, the status workflow, permissions and tenant isolation.
 * Risk events are inserted directly (superuser pool) to reach the thresholds; the evaluation is
 * called with an explicit `now`.
 */

let svc: TestService
let admin: pg.Pool
const NOW = new Date('2026-11-30T12:00:00Z')
const hoursAgo = (h: number): Date => new Date(NOW.getTime() - h * 3_600_000)

interface T {
  id: string
  key: string
}
let a: T
let b: T
let analystKey: string
let readerKey: string

async function riskEvent(t: T, object: string, score: number, time: Date, opts: { rule?: string; techniques?: string[]; type?: string } = {}): Promise<void> {
  await admin.query(
    `INSERT INTO risk_events (tenant_id, detection_id, upload_id, rule_id, risk_object, risk_object_type, risk_score, risk_message, threat_objects, mitre_techniques, time)
     VALUES ($1, $2, $3, $4, $5, $6, $7, 'test', '[]', $8, $9)`,
    [t.id, randomUUID(), randomUUID(), opts.rule ?? randomUUID(), object, opts.type ?? 'system', score, opts.techniques ?? [], time],
  )
}

const evaluate = (t: T, objects: string[], now = NOW) => evaluateRiskIncidents(admin, t.id, { now, objects: objects.map((object) => ({ type: 'system', object })) })

const incidentsOf = async (key: string, filter = '{}') =>
  (await graphql<any>(svc.url, key, `{ riskIncidents(filter: ${filter}) { totalCount edges { node { id riskObject score tactics detectionCount riskEventCount status incidentRule { kind builtIn } riskEvents(first: 2) { score } } } } }`)).data
    .riskIncidents

beforeAll(async () => {
  svc = await startTestService()
  admin = new pg.Pool({ connectionString: svc.databaseUrl, max: 2 })
  const ta = await createTestTenant(svc.databaseUrl, 'incidents-a')
  const tb = await createTestTenant(svc.databaseUrl, 'incidents-b')
  a = { id: ta.tenant.id, key: ta.apiKey }
  b = { id: tb.tenant.id, key: tb.apiKey }
  const key = async (role: string) => (await graphql<any>(svc.url, a.key, `mutation { createApiKey(name: "${role}", role: ${role}) { key } }`)).data.createApiKey.key as string
  analystKey = await key('analyst')
  readerKey = await key('reader')
})

afterAll(async () => {
  await admin?.end()
  await svc?.close()
})

describe('risk incidents', () => {
  it('has the two ES defaults for every tenant', async () => {
    const res = await graphql<any>(svc.url, readerKey, '{ riskIncidentRules { name kind builtIn enabled scoreThreshold minTactics minDetections windowHours } }')
    expect(res.errors).toBeUndefined()
    expect(res.data.riskIncidentRules).toEqual([
      { name: 'Risk Threshold Exceeded For Object Over 24 Hour Period', kind: 'SCORE_THRESHOLD', builtIn: true, enabled: true, scoreThreshold: 100, minTactics: null, minDetections: null, windowHours: 24 },
      { name: 'ATT&CK Tactic Threshold Exceeded For Object Over Previous 7 Days', kind: 'TACTIC_SPREAD', builtIn: true, enabled: true, scoreThreshold: null, minTactics: 3, minDetections: 4, windowHours: 168 },
    ])
  })

  it('score over 100 in 24 hours: 100 raises nothing, 101 one incident; events outside the window do not count', async () => {
    await riskEvent(a, 'host-score', 60, hoursAgo(1))
    await riskEvent(a, 'host-score', 40, hoursAgo(23))
    await riskEvent(a, 'host-score', 500, hoursAgo(25)) // outside the 24 hours
    expect(await evaluate(a, ['host-score'])).toEqual({ created: 0, updated: 0 })
    await riskEvent(a, 'host-score', 1, hoursAgo(2))
    expect(await evaluate(a, ['host-score'])).toEqual({ created: 1, updated: 0 })
    const page = await incidentsOf(readerKey, '{ riskObject: "HOST-SCORE" }')
    expect(page.totalCount).toBe(1)
    expect(page.edges[0].node).toMatchObject({ riskObject: 'host-score', score: 101, riskEventCount: 3, status: 'NEW', incidentRule: { kind: 'SCORE_THRESHOLD', builtIn: true } })
    expect(page.edges[0].node.riskEvents).toHaveLength(2)
  })

  it('re-evaluating updates the open incident instead of creating a second one', async () => {
    await riskEvent(a, 'host-score', 9, hoursAgo(0.5))
    expect(await evaluate(a, ['host-score'])).toEqual({ created: 0, updated: 1 })
    expect(await evaluate(a, ['host-score'])).toEqual({ created: 0, updated: 1 })
    const page = await incidentsOf(readerKey, '{ riskObject: "host-score" }')
    expect(page.totalCount).toBe(1)
    expect(page.edges[0].node.score).toBe(110)
  })

  it('3 tactics from 4 detection rules in 7 days: 3 rules or 2 tactics raise nothing, both met one incident', async () => {
    const rules = [randomUUID(), randomUUID(), randomUUID(), randomUUID()]
    await riskEvent(a, 'host-tactics', 1, hoursAgo(100), { rule: rules[0], techniques: ['T1059'] })
    await riskEvent(a, 'host-tactics', 1, hoursAgo(50), { rule: rules[1], techniques: ['T1003'] })
    await riskEvent(a, 'host-tactics', 1, hoursAgo(10), { rule: rules[2], techniques: ['T1572'] })
    await riskEvent(a, 'host-tactics', 1, hoursAgo(200), { rule: rules[3], techniques: ['T1021'] }) // outside the 7 days
    expect(await evaluate(a, ['host-tactics'])).toEqual({ created: 0, updated: 0 }) // 3 tactics, 3 rules
    await riskEvent(a, 'host-tactics', 1, hoursAgo(5), { rule: rules[3], techniques: ['T1059'] })
    expect((await evaluate(a, ['host-tactics'])).created).toBe(1) // 3 tactics, 4 rules
    const page = await incidentsOf(readerKey, '{ ruleKind: TACTIC_SPREAD }')
    expect(page.totalCount).toBe(1)
    expect(page.edges[0].node).toMatchObject({ riskObject: 'host-tactics', detectionCount: 4, tactics: ['Command And Control', 'Credential Access', 'Execution'] })
  })

  it('a technique of several tactics counts each of them; a technique outside ATT&CK counts none', async () => {
    // T1078 Valid Accounts belongs to four tactics; T9999 to none.
    for (const techniques of [['T1078'], ['T9999'], ['T9999', 'T1078'], []]) await riskEvent(a, 'host-multi-tactic', 1, hoursAgo(2), { techniques })
    expect((await evaluate(a, ['host-multi-tactic'])).created).toBe(1)
    const page = await incidentsOf(readerKey, '{ ruleKind: TACTIC_SPREAD }')
    const node = page.edges.find((e: any) => e.node.riskObject === 'host-multi-tactic').node
    expect(node).toMatchObject({ detectionCount: 4, riskEventCount: 4, tactics: ['Defense Evasion', 'Initial Access', 'Persistence', 'Privilege Escalation'] })
  })

  it('2 tactics from 4 rules raise nothing', async () => {
    for (const t of ['T1059', 'T1059', 'T1003', 'T1003']) await riskEvent(a, 'host-two-tactics', 1, hoursAgo(3), { techniques: [t] })
    expect(await evaluate(a, ['host-two-tactics'])).toEqual({ created: 0, updated: 0 })
  })

  it('custom thresholds: analysts add and tune rules, built-ins can be disabled, readers cannot', async () => {
    const created = await graphql<any>(svc.url, analystKey, 'mutation { setRiskIncidentRule(input: { name: "Low score", kind: SCORE_THRESHOLD, scoreThreshold: 10, windowHours: 1 }) { id builtIn } }')
    expect(created.errors).toBeUndefined()
    await riskEvent(a, 'host-custom', 11, hoursAgo(0.1))
    expect(await evaluate(a, ['host-custom'])).toEqual({ created: 1, updated: 0 })
    const refused = await graphql<any>(svc.url, readerKey, `mutation { setRiskIncidentRule(id: "${created.data.setRiskIncidentRule.id}", input: { enabled: false }) { id } }`)
    expect(refused.errors?.[0]?.extensions?.code).toBe('FORBIDDEN')
    const bad = await graphql<any>(svc.url, analystKey, 'mutation { setRiskIncidentRule(input: { name: "x", kind: TACTIC_SPREAD, windowHours: 1 }) { id } }')
    expect(bad.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT')
    const rules = (await graphql<any>(svc.url, analystKey, '{ riskIncidentRules { id builtIn kind } }')).data.riskIncidentRules
    const builtinScore = rules.find((r: any) => r.builtIn && r.kind === 'SCORE_THRESHOLD').id
    const off = await graphql<any>(svc.url, analystKey, `mutation { setRiskIncidentRule(id: "${builtinScore}", input: { enabled: false }) { enabled } }`)
    expect(off.data.setRiskIncidentRule.enabled).toBe(false)
    await riskEvent(a, 'host-disabled', 200, hoursAgo(0.5))
    // Only the custom rule raises one; the disabled built-in none.
    expect(await evaluate(a, ['host-disabled'])).toEqual({ created: 1, updated: 0 })
    const kinds = (await incidentsOf(readerKey, '{ riskObject: "host-disabled" }')).edges.map((e: any) => e.node.incidentRule.builtIn)
    expect(kinds).toEqual([false])
    const customOff = await graphql<any>(svc.url, analystKey, `mutation { setRiskIncidentRule(id: "${created.data.setRiskIncidentRule.id}", input: { enabled: false }) { enabled } }`)
    expect(customOff.data.setRiskIncidentRule.enabled).toBe(false)
  })

  it('status workflow: analysts move incidents, readers cannot; a closed incident stays closed until new risk events', async () => {
    const id = (await incidentsOf(readerKey, '{ riskObject: "host-score" }')).edges[0].node.id
    const set = (key: string, status: string) => graphql<any>(svc.url, key, `mutation { setRiskIncidentStatus(id: "${id}", status: ${status}) { status statusChangedAt } }`)
    expect((await set(readerKey, 'ACKNOWLEDGED')).errors?.[0]?.extensions?.code).toBe('FORBIDDEN')
    expect((await set(analystKey, 'ACKNOWLEDGED')).data.setRiskIncidentStatus.status).toBe('ACKNOWLEDGED')
    // Re-enable the built-in score rule (disabled above) and re-evaluate: the status stays.
    const rules = (await graphql<any>(svc.url, analystKey, '{ riskIncidentRules { id builtIn kind } }')).data.riskIncidentRules
    const builtinScore = rules.find((r: any) => r.builtIn && r.kind === 'SCORE_THRESHOLD').id
    await graphql<any>(svc.url, analystKey, `mutation { setRiskIncidentRule(id: "${builtinScore}", input: { enabled: true }) { enabled } }`)
    await evaluate(a, ['host-score'])
    expect((await incidentsOf(readerKey, '{ riskObject: "host-score" }')).edges[0].node.status).toBe('ACKNOWLEDGED')
    expect((await set(a.key, 'CLOSED')).data.setRiskIncidentStatus.status).toBe('CLOSED')
    expect(await evaluate(a, ['host-score'])).toEqual({ created: 0, updated: 0 })
    expect((await incidentsOf(readerKey, '{ riskObject: "host-score", status: [NEW, ACKNOWLEDGED] }')).totalCount).toBe(0)
    await new Promise((r) => setTimeout(r, 20))
    await riskEvent(a, 'host-score', 5, hoursAgo(0.2))
    expect(await evaluate(a, ['host-score'])).toEqual({ created: 1, updated: 0 })
    const all = await incidentsOf(readerKey, '{ riskObject: "host-score" }')
    expect(all.edges.map((e: any) => e.node.status).sort()).toEqual(['CLOSED', 'NEW'])
    // Reopening the closed one while a new one is open is a conflict.
    expect((await set(analystKey, 'NEW')).errors?.[0]?.extensions?.code).toBe('CONFLICT')
  })

  it('an upload of past logs raises the incidents of when the activity happened (windows end at the object’s latest risk event)', async () => {
    const t = await createTestTenant(svc.databaseUrl, 'incidents-upload')
    const gql = (q: string, v?: Record<string, unknown>) => graphql<any>(svc.url, t.apiKey, q, v)
    await gql('mutation ($y: String!) { importRules(yaml: $y) { errors { message } } }', { y: SEED_RULE_YAML })
    // A threshold any object with risk from two grouped rows meets, over 24 hours.
    await gql('mutation { setRiskIncidentRule(input: { name: "Two rows in a day", kind: SCORE_THRESHOLD, scoreThreshold: 1, windowHours: 24 }) { id } }')
    const sent = await uploadMultipart(svc.url, t.apiKey, 'ngrok.xml', readFixture('logs/sysmon/ngrok-synthetic.xml'))
    await waitForUpload(svc.url, t.apiKey, sent.data!.uploadLogs.id)
    // Expected from the risk events themselves: objects whose summed score within the 24 hours
    // before their latest risk event exceeds 1 (the fixture's events are of March 2026).
    const { rows: expected } = await admin.query(
      `SELECT risk_object, risk_object_type, sum(risk_score)::int AS score, max(time) AS window_end FROM risk_events r
       WHERE tenant_id = $1 AND time > (SELECT max(time) FROM risk_events x WHERE x.tenant_id = r.tenant_id AND x.risk_object = r.risk_object AND x.risk_object_type = r.risk_object_type) - interval '24 hours'
       GROUP BY 1, 2 HAVING sum(risk_score) > 1 ORDER BY 1, 2`,
      [t.tenant.id],
    )
    expect(expected.length).toBeGreaterThan(0)
    const page = (await gql('{ riskIncidents(first: 100) { edges { node { riskObject riskObjectType score windowEnd incidentRule { name } } } } }')).data.riskIncidents
    const custom = page.edges.map((e: any) => e.node).filter((n: any) => n.incidentRule.name === 'Two rows in a day')
    expect(custom.map((n: any) => [n.riskObject, n.riskObjectType, n.score, new Date(n.windowEnd).toISOString()]).sort()).toEqual(
      expected.map((r) => [r.risk_object, r.risk_object_type, r.score, (r.window_end as Date).toISOString()]).sort(),
    )
    expect(custom.every((n: any) => n.windowEnd.startsWith('2026-03'))).toBe(true)
  })

  it('keeps tenants apart', async () => {
    await riskEvent(b, 'host-score', 1000, hoursAgo(1))
    expect((await evaluate(b, ['host-score'])).created).toBe(1)
    const bPage = await incidentsOf(b.key)
    expect(bPage.totalCount).toBe(1)
    expect(bPage.edges[0].node.score).toBe(1000)
    const aId = (await incidentsOf(readerKey, '{ riskObject: "host-score", status: [NEW] }')).edges[0].node.id
    const res = await graphql<any>(svc.url, b.key, `mutation { setRiskIncidentStatus(id: "${aId}", status: CLOSED) { id } }`)
    expect(res.errors?.[0]?.extensions?.code).toBe('NOT_FOUND')
    expect((await incidentsOf(a.key)).edges.every((e: any) => e.node.score !== 1000)).toBe(true)
  })
})
