import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readFixture, SEED_RULE_YAML } from '../helpers/fixtures.js'
import { createTestTenant } from '../helpers/tenant.js'
import { graphql, startTestService, type TestService } from '../helpers/test-service.js'
import { waitForUpload } from '../helpers/uploads.js'

// The HTTP endpoints' share of the tenant isolation matrix (the GraphQL operations have theirs in
// tenant-isolation-matrix.test.ts). The list of endpoints is read from the running app's router,
// so an endpoint added without a case here fails the first test.

type Ids = { upload: string; rule: string }
const NOWHERE: Ids = { upload: '00000000-0000-4000-8000-000000000002', rule: '00000000-0000-4000-8000-000000000001' }
const OPERATOR_TOKEN = 'operator-token-of-the-http-isolation-matrix'

type HttpCase =
  /** Aimed at tenant A's ids with tenant B's key: 404, and the same answer as for ids that exist nowhere. */
  | { kind: 'tenant'; request: (ids: Ids) => { method: string; path: string; body?: RequestInit["body"] } }
  /** Serves the caller's own tenant only: B's answer holds none of A's ids or rule names, A's holds A's rule. */
  | { kind: 'own'; request: () => { method: string; path: string } }
  /** Serves no tenant data; `check` asserts what it does answer. */
  | { kind: 'public'; request: () => { method: string; path: string } }
  /** The same bytes for every caller, key or none (the GraphQL console's page and bundles); no tenant data. */
  | { kind: 'static'; request: () => { method: string; path: string; accept: string } }
  /** For the operator only (ids, counts, tenant names; never a tenant's content): tenant keys get 403, no credential 401. */
  | { kind: 'operator'; request: () => { method: string; path: string } }
  /** Covered elsewhere, with the reason. */
  | { kind: 'elsewhere'; reason: string }

const CASES: Record<string, HttpCase> = {
  'GET /healthz': { kind: 'public', request: () => ({ method: 'GET', path: '/healthz' }) },
  'GET /readyz': { kind: 'public', request: () => ({ method: 'GET', path: '/readyz' }) },
  'GET /v1/uploads/:id': { kind: 'tenant', request: (i) => ({ method: 'GET', path: `/v1/uploads/${i.upload}` }) },
  // Creates an upload of the caller's own tenant; there is no id of another tenant to aim at.
  'POST /v1/uploads': { kind: 'elsewhere', reason: 'creates the caller’s own upload; checked below to land in tenant B only' },
  'GET /graphql': { kind: 'static', request: () => ({ method: 'GET', path: '/graphql', accept: 'text/html' }) },
  'GET /assets/graphql-console/:file': { kind: 'static', request: () => ({ method: 'GET', path: '/assets/graphql-console/console.js', accept: '*/*' }) },
  'ALL /graphql': { kind: 'elsewhere', reason: 'every GraphQL operation has its case in tenant-isolation-matrix.test.ts' },
  'ALL /v1/uploads': { kind: 'elsewhere', reason: 'middleware in front of the /v1/uploads routes (rate limits); the routes have their cases' },
  'GET /v1/exports/detections': { kind: 'tenant', request: (i) => ({ method: 'GET', path: `/v1/exports/detections?format=csv&ruleId=${i.rule}` }) },
  'GET /v1/exports/risk-events': { kind: 'tenant', request: (i) => ({ method: 'GET', path: `/v1/exports/risk-events?format=ndjson&layout=splunk-risk&ruleId=${i.rule}` }) },
  'GET /v1/exports/attack-layer': { kind: 'own', request: () => ({ method: 'GET', path: '/v1/exports/attack-layer' }) },
  'GET /metrics': { kind: 'operator', request: () => ({ method: 'GET', path: '/metrics' }) },
  'ALL /admin/queues': { kind: 'operator', request: () => ({ method: 'GET', path: '/admin/queues/api/queues?activeQueue=uploads&status=completed' }) },
  'ALL /v1/exports': { kind: 'elsewhere', reason: 'middleware in front of the /v1/exports routes (rate limits, request scope); the routes have their cases, and exports.test.ts checks unfiltered exports' },
}

describe('tenant isolation matrix for HTTP endpoints (generated from the router)', () => {
  let svc: TestService
  let keyA: string
  let keyB: string
  let a: Ids

  beforeAll(async () => {
    svc = await startTestService({ env: { OPERATOR_TOKEN } })
    keyA = (await createTestTenant(svc.databaseUrl, 'http-a')).apiKey
    keyB = (await createTestTenant(svc.databaseUrl, 'http-b')).apiKey
    const gqlA = (query: string, variables?: Record<string, unknown>) => graphql<any>(svc.url, keyA, query, variables)
    const rule = (await gqlA('mutation ($y: String!) { importRules(yaml: $y) { rules { id } } }', { y: SEED_RULE_YAML })).data.importRules.rules[0].id
    const res = await fetch(`${svc.url}/v1/uploads?fileName=a.xml`, { method: 'POST', headers: { authorization: `Bearer ${keyA}` }, body: readFixture('logs/sysmon/ngrok-synthetic.xml') })
    expect(res.status).toBe(202)
    const upload = ((await res.json()) as { upload: { id: string } }).upload.id
    await waitForUpload(svc.url, keyA, upload)
    a = { upload, rule }
  })
  afterAll(async () => {
    await svc?.close()
  })

  it('has a case for every endpoint the app serves', () => {
    const routes = svc.service.routes
    expect(routes).toContain('GET /v1/uploads/:id')
    expect(routes.filter((r) => !(r in CASES)), 'endpoints without an isolation case').toEqual([])
    expect(Object.keys(CASES).filter((c) => !routes.includes(c)), 'cases for endpoints that no longer exist').toEqual([])
  })

  const call = async (key: string, r: { method: string; path: string; body?: RequestInit["body"] }) => {
    const res = await fetch(`${svc.url}${r.path}`, { method: r.method, headers: { authorization: `Bearer ${key}` }, body: r.body })
    return { status: res.status, text: await res.text() }
  }

  it.each(Object.entries(CASES).filter(([, c]) => c.kind === 'tenant'))('%s: tenant B gets 404 for tenant A’s ids, as for ids that exist nowhere', async (_route, c) => {
    if (c.kind !== 'tenant') return
    const onA = await call(keyB, c.request(a))
    const onNowhere = await call(keyB, c.request(NOWHERE))
    expect(onA.status).toBe(404)
    expect(JSON.parse(onA.text).error.code).toBe('NOT_FOUND')
    const normalise = (text: string, ids: Ids) => Object.values(ids).reduce((t, id, n) => t.replaceAll(id, `<id${n}>`), text)
    expect(normalise(onA.text, a)).toBe(normalise(onNowhere.text, NOWHERE))
    // Tenant A still reads it: the 404 is isolation, not a broken route.
    expect((await call(keyA, c.request(a))).status).toBe(200)
  })

  it.each(Object.entries(CASES).filter(([, c]) => c.kind === 'own'))('%s: tenant B gets its own data, none of tenant A’s', async (_route, c) => {
    if (c.kind !== 'own') return
    const onB = await call(keyB, c.request())
    expect(onB.status).toBe(200)
    for (const leak of [...Object.values(a), 'Windows Ngrok Reverse Proxy Usage']) expect(onB.text).not.toContain(leak)
    const onA = await call(keyA, c.request())
    expect(onA.status).toBe(200)
    expect(onA.text).toContain('Windows Ngrok Reverse Proxy Usage')
  })

  it.each(Object.entries(CASES).filter(([, c]) => c.kind === 'public'))('%s: answers without any tenant data', async (_route, c) => {
    if (c.kind !== 'public') return
    const res = await call(keyB, c.request())
    expect(res.status).toBe(200)
    expect(res.text).not.toContain(a.upload)
    expect(Object.keys(JSON.parse(res.text)).sort()).toEqual(expect.arrayContaining(['status']))
  })

  it.each(Object.entries(CASES).filter(([, c]) => c.kind === 'static'))('%s: the same answer with either tenant’s key or none, holding no tenant data', async (_route, c) => {
    if (c.kind !== 'static') return
    const r = c.request()
    const answers = await Promise.all(
      [keyA, keyB, null].map(async (key) => {
        const res = await fetch(`${svc.url}${r.path}`, { method: r.method, headers: { accept: r.accept, ...(key ? { authorization: `Bearer ${key}` } : {}) } })
        return { status: res.status, text: await res.text() }
      }),
    )
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200])
    expect(new Set(answers.map((a) => a.text)).size).toBe(1)
    for (const leak of [...Object.values(a), 'Windows Ngrok Reverse Proxy Usage', 'WS-DEV04']) expect(answers[0]!.text).not.toContain(leak)
  })

  it.each(Object.entries(CASES).filter(([, c]) => c.kind === 'operator'))('%s: refuses tenant keys (403) and anonymous callers (401); the operator’s answer holds no tenant content', async (_route, c) => {
    if (c.kind !== 'operator') return
    for (const key of [keyA, keyB]) expect((await call(key, c.request())).status).toBe(403)
    const r = c.request()
    expect((await fetch(`${svc.url}${r.path}`, { method: r.method })).status).toBe(401)
    const operator = await call(OPERATOR_TOKEN, r)
    expect(operator.status).toBe(200)
    for (const content of ['Windows Ngrok Reverse Proxy Usage', 'ngrok.exe', 'WS-DEV04']) expect(operator.text).not.toContain(content)
  })

  it('POST /v1/uploads stores the upload in the caller’s tenant only', async () => {
    const res = await fetch(`${svc.url}/v1/uploads?fileName=b.xml`, { method: 'POST', headers: { authorization: `Bearer ${keyB}` }, body: readFixture('logs/sysmon/ngrok-synthetic.xml') })
    expect(res.status).toBe(202)
    const id = ((await res.json()) as { upload: { id: string } }).upload.id
    expect((await call(keyA, { method: 'GET', path: `/v1/uploads/${id}` })).status).toBe(404)
    const listedByA = await graphql<{ uploads: { edges: { node: { id: string } }[] } }>(svc.url, keyA, '{ uploads { edges { node { id } } } }')
    expect(listedByA.data!.uploads.edges.map((e) => e.node.id)).toEqual([a.upload])
  })
})
