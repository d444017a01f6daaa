import autocannon from 'autocannon'
import { pathToFileURL } from 'node:url'
import pg from 'pg'
import { createPool } from '../../src/db/pool.js'
import { createPrisma } from '../../src/db/prisma.js'
import { createBenchDatabase } from './bench-database.js'
import { startWatchpost, type BenchProcess } from './bench-processes.js'
import { postGraphQL } from './graphql-client.js'
import { seedTenant } from './graphql-seed.js'

/**
 * GraphQL under load: the real `watchpost serve` (rate limits off) answering 50 concurrent clients
 * (autocannon, keep-alive) of one tenant that has `detections` stored detections, among other
 * tenants with half as many each. Three queries, interleaved round by round after a warm-up:
 * `{ __typename }` (the floor: HTTP, authentication, Apollo, no data), the triage queue (first 50
 * open detections with their rule, fields and ATT&CK techniques, and the total count), and the
 * risk objects (top 100 by summed score). Requests/s and the p50/p99 latency of each. The data does
 * not change while measured, so after each query's first request the server answers it from its
 * response cache, as it would a SOC's polling dashboards; the same two queries also go to a second
 * server with the cache off, where every request is computed.
 */

export interface GraphQLLatencyOptions {
  /** Stored detections of the measured tenant (default 100_000); each has two risk events. */
  readonly detections?: number
  /** Other tenants, each with half as many (default 3). */
  readonly otherTenants?: number
  /** Seconds of load per query and round (default 10). */
  readonly seconds?: number
  /** Rounds; medians are reported (default 3). */
  readonly rounds?: number
  /** Concurrent clients (default 50). */
  readonly connections?: number
}

export interface QueryFigures {
  readonly requestsPerSecond: number
  readonly p50Ms: number
  readonly p99Ms: number
}

export interface GraphQLLatencyResult {
  readonly detections: number
  readonly connections: number
  readonly seconds: number
  readonly rounds: number
  readonly typename: QueryFigures
  readonly detectionsQuery: QueryFigures
  readonly riskObjectsQuery: QueryFigures
  /** The same queries to a second server with the response cache off: every request computed. */
  readonly uncachedDetectionsQuery: QueryFigures
  readonly uncachedRiskObjectsQuery: QueryFigures
}

export const QUERIES = {
  typename: '{ __typename }',
  detections: `{ detections(first: 50, filter: { status: [NEW, ACKNOWLEDGED] }) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { cursor node { id rule { id name } fields count firstTime lastTime status assignee mitre { id name tactics } } } } }`,
  riskObjects: '{ riskObjects(first: 100) { object type totalScore riskEventCount ruleCount tactics firstSeen lastSeen } }',
} as const
type QueryName = keyof typeof QUERIES

async function load(url: string, apiKey: string, query: string, seconds: number, connections: number): Promise<QueryFigures> {
  const result = await autocannon({
    url: `${url}/graphql`,
    method: 'POST',
    headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ query }),
    connections,
    duration: seconds,
    // A slow answer is a figure, not a failure: only a request still unanswered after a minute counts as lost.
    timeout: 60,
  })
  if (result.errors > 0 || result.non2xx > 0) throw new Error(`load on ${query.slice(0, 40)}: ${result.errors} errors (${result.timeouts} timeouts), ${result.non2xx} non-2xx answers`)
  return { requestsPerSecond: result.requests.average, p50Ms: result.latency.p50, p99Ms: result.latency.p99 }
}

/** Each query answered once, checked for its expected shape (autocannon only sees status codes; GraphQL errors come as 200). */
async function checkAnswers(url: string, apiKey: string, detections: number): Promise<void> {
  const d = await postGraphQL<{ detections: { totalCount: number; edges: unknown[] } }>(url, apiKey, QUERIES.detections)
  // The seed makes detection i NEW or ACKNOWLEDGED when i % 5 is 0, 1 or 2.
  let open = 0
  for (let i = 1; i <= detections; i++) if (i % 5 <= 2) open++
  if (d.detections.edges.length !== 50 || d.detections.totalCount !== open) throw new Error(`detections: ${d.detections.edges.length} edges of ${d.detections.totalCount}, expected 50 of ${open}`)
  const r = await postGraphQL<{ riskObjects: unknown[] }>(url, apiKey, QUERIES.riskObjects)
  if (r.riskObjects.length !== 100) throw new Error(`riskObjects: ${r.riskObjects.length} objects, expected 100`)
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!

export async function measureGraphQLLatency(opts: GraphQLLatencyOptions = {}): Promise<GraphQLLatencyResult> {
  const detections = opts.detections ?? 100_000
  const seconds = opts.seconds ?? 10
  const rounds = opts.rounds ?? 3
  const connections = opts.connections ?? 50
  const db = await createBenchDatabase()
  const owner = new pg.Client({ connectionString: db.url })
  await owner.connect()
  const pool = createPool(db.url, { max: 2 })
  const prisma = createPrisma(pool)
  let api: BenchProcess | null = null
  let uncachedApi: BenchProcess | null = null
  try {
    const tenant = await seedTenant(prisma, owner, 'measured', detections)
    for (let t = 0; t < (opts.otherTenants ?? 3); t++) await seedTenant(prisma, owner, `other-${t}`, detections >> 1)
    // As autovacuum would have, on a database that has been running: statistics and the visibility map.
    await owner.query('VACUUM ANALYZE')
    const serveEnv = { DATABASE_URL: db.url, QUEUE_PREFIX: db.name, PORT: '0', HOST: '127.0.0.1', RATE_LIMIT_PER_MINUTE: '0', RATE_LIMIT_UNAUTHENTICATED_PER_MINUTE: '0' }
    api = await startWatchpost('serve', serveEnv)
    // Idle while the other is measured: one process answers at a time.
    uncachedApi = await startWatchpost('serve', { ...serveEnv, GRAPHQL_RESPONSE_CACHE_MB: '0' })
    const runs: { name: string; url: string; query: string }[] = [
      ...(Object.keys(QUERIES) as QueryName[]).map((name) => ({ name, url: api!.url!, query: QUERIES[name] })),
      { name: 'uncachedDetections', url: uncachedApi.url!, query: QUERIES.detections },
      { name: 'uncachedRiskObjects', url: uncachedApi.url!, query: QUERIES.riskObjects },
    ]
    for (const url of [api.url!, uncachedApi.url!]) await checkAnswers(url, tenant.apiKey, detections)
    for (const run of runs) await load(run.url, tenant.apiKey, run.query, Math.min(2, seconds / 2), connections)
    const figures = Object.fromEntries(runs.map((r) => [r.name, [] as QueryFigures[]])) as Record<string, QueryFigures[]>
    for (let round = 0; round < rounds; round++) for (const run of runs) figures[run.name]!.push(await load(run.url, tenant.apiKey, run.query, seconds, connections))
    const summary = (xs: QueryFigures[]): QueryFigures => ({
      requestsPerSecond: median(xs.map((x) => x.requestsPerSecond)),
      p50Ms: median(xs.map((x) => x.p50Ms)),
      p99Ms: median(xs.map((x) => x.p99Ms)),
    })
    return {
      detections,
      connections,
      seconds,
      rounds,
      typename: summary(figures.typename!),
      detectionsQuery: summary(figures.detections!),
      riskObjectsQuery: summary(figures.riskObjects!),
      uncachedDetectionsQuery: summary(figures.uncachedDetections!),
      uncachedRiskObjectsQuery: summary(figures.uncachedRiskObjects!),
    }
  } finally {
    await api?.stop()
    await uncachedApi?.stop()
    await prisma.$disconnect()
    await pool.end()
    await owner.end()
    await db.drop()
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.log(await measureGraphQLLatency({ detections: Number(process.argv[2] ?? 100_000), seconds: Number(process.argv[3] ?? 10), rounds: Number(process.argv[4] ?? 3) }))
}
