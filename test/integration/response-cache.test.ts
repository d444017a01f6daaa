import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readFixture, SEED_RULE_YAML } from '../helpers/fixtures.js'
import { scrape, value, type Sample } from '../helpers/prometheus.js'
import { createTestTenant } from '../helpers/tenant.js'
import { graphql, startTestService, waitFor, type TestService } from '../helpers/test-service.js'
import { uploadMultipart, waitForUpload } from '../helpers/uploads.js'

// The GraphQL response cache over the real service: repeated queries are answered from memory,
// and never once the tenant's data changed — by the client's own mutation (at once), by a writer
// elsewhere (as soon as Postgres's notification arrives), or while changes could not be heard.

const METRICS_TOKEN = 'metrics-token-for-response-cache-tests-0'
const SYSMON = readFixture('logs/sysmon/ngrok-synthetic.xml')
const QUEUE = '{ detections(first: 50, filter: { status: [NEW, ACKNOWLEDGED] }) { totalCount edges { node { id status assignee rule { name } mitre { id } } } } }'
const RISK = '{ riskObjects(first: 10) { object type totalScore riskEventCount } }'

type Queue = { detections: { totalCount: number; edges: { node: { id: string; status: string; assignee: string | null; rule: { name: string } } }[] } }

describe('the GraphQL response cache', () => {
  let svc: TestService
  let owner: pg.Client
  let key: string
  let otherKey: string

  beforeAll(async () => {
    svc = await startTestService({ env: { METRICS_TOKEN } })
    owner = new pg.Client({ connectionString: svc.databaseUrl })
    await owner.connect()
    for (const [name, set] of [['cache-acme', (k: string) => (key = k)], ['cache-globex', (k: string) => (otherKey = k)]] as const) {
      const k = (await createTestTenant(svc.databaseUrl, name)).apiKey
      set(k)
      await graphql(svc.url, k, 'mutation ($y: String!) { importRules(yaml: $y) { rules { id } } }', { y: SEED_RULE_YAML })
      const sent = await uploadMultipart(svc.url, k, 'ngrok.xml', SYSMON)
      await waitForUpload(svc.url, k, sent.data!.uploadLogs.id)
    }
  })
  afterAll(async () => {
    await owner?.end()
    await svc?.close()
  })

  const cacheResults = async (): Promise<Sample[]> => scrape(`${svc.url}/metrics`, METRICS_TOKEN)
  const hits = (s: Sample[]): number => value(s, 'watchpost_graphql_response_cache_total', { result: 'hit' })
  const queue = async (k = key): Promise<Queue['detections']> => {
    const res = await graphql<Queue>(svc.url, k, QUEUE)
    expect(res.errors).toBeUndefined()
    return res.data!.detections
  }
  /** The LISTEN connection of the API process, as Postgres sees it. */
  const listenerPid = async (): Promise<number | undefined> =>
    (await owner.query<{ pid: number }>("SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'LISTEN watchpost_tenant_data%' OR query LIKE 'NOTIFY watchpost_tenant_data%'")).rows[0]?.pid

  it('answers a repeated query from memory, with the same answer', async () => {
    await waitFor(async () => ((await listenerPid()) === undefined ? undefined : true), 10_000, 'the API to listen')
    const first = await queue()
    expect(first.totalCount).toBeGreaterThan(0)
    const before = await cacheResults()
    const again = await queue()
    expect(again).toEqual(first)
    expect(hits(await cacheResults()) - hits(before)).toBe(1)
  })

  it('sends a hit byte for byte as Apollo sent the answer, with the same headers', async () => {
    const post = async () => {
      const res = await fetch(`${svc.url}/graphql`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify({ query: RISK }) })
      return { status: res.status, type: res.headers.get('content-type'), cacheControl: res.headers.get('cache-control'), etag: res.headers.get('etag'), body: await res.text() }
    }
    const before = await cacheResults()
    const first = await post()
    const again = await post()
    expect(hits(await cacheResults()) - hits(before)).toBe(1)
    // No ETag either: nothing may revalidate a no-store answer, so hashing the body would be wasted.
    expect(first).toMatchObject({ status: 200, type: 'application/json; charset=utf-8', cacheControl: 'no-store', etag: null })
    expect(again).toEqual(first)
    expect(first.body).toBe(`${JSON.stringify(JSON.parse(first.body))}\n`)
  })

  it('shows a client its own mutation at once', async () => {
    const before = await queue()
    const target = before.edges[0]!.node
    const set = await graphql(svc.url, key, 'mutation ($id: ID!) { assignDetection(id: $id, assignee: "ana") { id } }', { id: target.id })
    expect(set.errors).toBeUndefined()
    const after = await queue()
    expect(after.edges.find((e) => e.node.id === target.id)!.node.assignee).toBe('ana')
  })

  it('shows a change written elsewhere (a worker, SQL) once Postgres announces it, and keeps tenants apart', async () => {
    const mine = await queue()
    const theirs = await queue(otherKey)
    expect(theirs.edges.map((e) => e.node.id)).not.toEqual(mine.edges.map((e) => e.node.id))
    await owner.query("UPDATE detections SET status = 'CLOSED_FALSE_POSITIVE' WHERE id = $1", [mine.edges[0]!.node.id])
    const after = await waitFor(async () => {
      const q = await queue()
      return q.totalCount === mine.totalCount - 1 ? q : undefined
    }, 5_000, 'the closed detection to leave the queue')
    expect(after.edges.map((e) => e.node.id)).not.toContain(mine.edges[0]!.node.id)
    // The other tenant's answer is its own, computed for it, whatever the first tenant's state.
    expect(await queue(otherKey)).toEqual(theirs)
  })

  it('serves nothing it kept while changes could not be heard, and caches again once listening', async () => {
    const cached = await queue()
    await queue()
    const pid = await listenerPid()
    expect(pid).toBeDefined()
    await owner.query('SELECT pg_terminate_backend($1)', [pid])
    // Written while nobody listens: this notification is lost to the API.
    await owner.query("UPDATE detections SET assignee = 'written-while-deaf' WHERE id = $1", [cached.edges[0]!.node.id])
    await waitFor(async () => {
      const next = await listenerPid()
      return next !== undefined && next !== pid ? true : undefined
    }, 15_000, 'the API to listen again')
    const after = await queue()
    expect(after.edges.find((e) => e.node.id === cached.edges[0]!.node.id)!.node.assignee).toBe('written-while-deaf')
    const before = await cacheResults()
    expect(await queue()).toEqual(after)
    expect(hits(await cacheResults()) - hits(before)).toBe(1)
  })

  it('never shares an answer with a key whose role may not read it', async () => {
    // The key first: creating it is a mutation, after which nothing kept before would be served anyway.
    const created = await graphql<{ createApiKey: { key: string } }>(svc.url, key, 'mutation { createApiKey(name: "uploader", role: ingest) { key } }')
    expect(created.errors).toBeUndefined()
    const answered = await graphql<{ riskObjects: unknown[] }>(svc.url, key, RISK)
    expect(answered.data!.riskObjects.length).toBeGreaterThan(0)
    const before = await cacheResults()
    expect(await graphql(svc.url, key, RISK)).toEqual(answered)
    expect(hits(await cacheResults()) - hits(before)).toBe(1)
    const refused = await graphql(svc.url, created.data!.createApiKey.key, RISK)
    expect(refused.data ?? null).toBeNull()
    expect(refused.errors?.[0]?.extensions?.code).toBe('FORBIDDEN')
  })
})
