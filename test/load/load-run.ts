import { randomBytes } from 'node:crypto'
import os from 'node:os'
import pg from 'pg'
import { createPool } from '../../src/db/pool.js'
import { createPrisma } from '../../src/db/prisma.js'
import { enableBundledRules } from '../../src/services/bundled-content.js'
import { createTenant } from '../../src/store/tenants.js'
import { deleteQueueKeys } from '../helpers/redis-keys.js'
import { serviceEnv, startServiceProcess, type ServiceProcess } from '../helpers/service-process.js'
import { checkTenant, type TenantCheck, type UploadedFile } from './expected-counts.js'
import { LatencyRecorder, type LatencySummary } from './latency.js'
import { syntheticLog } from './synthetic-logs.js'
import { fileNameOf, uploadSpec, type UploadSizes } from './upload-mix.js'

/**
 * The load run: real `watchpost serve` and `watchpost worker` processes on a database of their
 * own; tenants with every bundled rule enabled; for `durationMs`, `uploaders` clients each
 * uploading a file (POST /v1/uploads, the mix of upload-mix.ts, spread over the tenants) and
 * following it (GET /v1/uploads/:id) until it is processed, then the next, while `readers` clients
 * send GraphQL reads as fast as they are answered. Afterwards every tenant's events and detections
 * are compared with the offline scan of the same bytes (expected-counts.ts). Every request must
 * succeed; latencies and rates are reported per kind of request.
 */

export interface LoadOptions {
  databaseUrl: string
  durationMs: number
  tenants: number
  uploaders: number
  readers: number
  sizes: UploadSizes
  /** How long the uploads still in flight at the end may take to be processed. */
  drainTimeoutMs?: number
  log?: (line: string) => void
}

export interface LoadReport {
  machine: string
  options: Omit<LoadOptions, 'databaseUrl' | 'log'>
  measuredMs: number
  drainMs: number
  uploads: LatencySummary
  statusPolls: LatencySummary
  graphqlReads: LatencySummary
  all: { requests: number; failures: number; perSecond: number }
  processedUploads: number
  processedEvents: number
  tenants: TenantCheck[]
  /** True when no request failed and every count is exact. */
  passed: boolean
}

/** What the GraphQL readers ask, in turn: what a triage screen and a dashboard load. */
export const READ_QUERIES = [
  '{ detections(first: 50) { totalCount edges { node { id rule { name } fields count firstTime lastTime status riskEvents { object score } } } } }',
  '{ uploads(first: 20) { edges { node { id fileName status eventCount processEvents errorCount progress { fraction } } } } }',
  '{ riskObjects(first: 50) { object type totalScore riskEventCount ruleCount tactics } }',
  '{ rules { id name enabled } }',
  '{ detections(first: 20, filter: { status: [NEW, ACKNOWLEDGED] }) { totalCount edges { node { id count mitre { id name } } } } }',
  '{ mitreTechniques { id name ruleCount detectionCount } }',
]

const FINISHED = new Set(['SUCCEEDED', 'SUCCEEDED_WITH_ERRORS', 'FAILED'])
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

export async function runLoad(opts: LoadOptions): Promise<LoadReport> {
  const t0 = performance.now()
  const say = (line: string) => opts.log?.(`[${((performance.now() - t0) / 1000).toFixed(1)} s] ${line}`)
  const queuePrefix = `wpload-${randomBytes(4).toString('hex')}`
  const sql = new pg.Pool({ connectionString: opts.databaseUrl, max: 4 })
  const tenants = await createTenants(opts.databaseUrl, opts.tenants)
  const env = serviceEnv(opts.databaseUrl, queuePrefix)
  say(`starting watchpost serve and worker (${opts.tenants} tenants, every bundled rule enabled)`)
  const [api, worker] = await Promise.all([startServiceProcess('serve', env), startServiceProcess('worker', env)])
  try {
    for (const t of tenants) for (const q of READ_QUERIES) await readOnce(api.url!, t.apiKey, q).then((problem) => {
      if (problem !== null) throw new Error(`read query refused before the run (${q}): ${problem}`)
    })
    // The generators' runs are built before the clock starts, so that the clients' own work stays
    // out of the latencies (a stalled client would also time its requests wrong).
    for (let n = 0; n < 40; n++) syntheticLog({ ...uploadSpec(n, opts.sizes), events: opts.sizes.large, offset: 999 })
    const uploads = new LatencyRecorder()
    const polls = new LatencyRecorder()
    const reads = new LatencyRecorder()
    const files: (UploadedFile & { tenant: number })[] = []
    let next = 0
    const started = performance.now()
    const deadline = started + opts.durationMs
    say(`${opts.uploaders} upload clients and ${opts.readers} GraphQL readers for ${opts.durationMs / 1000} s`)

    const uploader = async (): Promise<void> => {
      while (performance.now() < deadline) {
        const n = next++
        const tenant = n % tenants.length
        const spec = uploadSpec(n, opts.sizes)
        const fileName = fileNameOf(n, spec)
        const body = syntheticLog(spec)
        const created = await uploads.time(
          () => fetch(`${api.url}/v1/uploads?fileName=${fileName}`, { method: 'POST', headers: { authorization: `Bearer ${tenants[tenant]!.apiKey}` }, body }).then(async (r) => ({ status: r.status, body: await r.text() })),
          (r) => (r.status === 202 ? null : `POST /v1/uploads ${r.status}: ${r.body}`),
        )
        if (created === null) continue
        const id = (JSON.parse(created.body) as { upload: { id: string } }).upload.id
        // Follow it as a client would; the drain below bounds the wait once the run is over.
        for (;;) {
          await sleep(250)
          const polled = await polls.time(
            () => fetch(`${api.url}/v1/uploads/${id}`, { headers: { authorization: `Bearer ${tenants[tenant]!.apiKey}` } }).then(async (r) => ({ status: r.status, body: await r.text() })),
            (r) => (r.status === 200 ? null : `GET /v1/uploads/${id} ${r.status}: ${r.body}`),
          )
          if (polled === null) continue
          const final = (JSON.parse(polled.body) as { upload: UploadedFile['final'] }).upload
          if (!FINISHED.has(final.status)) {
            if (performance.now() > deadline + (opts.drainTimeoutMs ?? 120_000)) throw new Error(`upload ${fileName} not processed ${(opts.drainTimeoutMs ?? 120_000) / 1000} s after the run`)
            continue
          }
          files.push({ n, spec, fileName, uploadId: id, final, tenant })
          break
        }
      }
    }
    const reader = async (i: number): Promise<void> => {
      for (let k = 0; performance.now() < deadline; k++) {
        const key = tenants[i % tenants.length]!.apiKey
        const query = READ_QUERIES[(i + k) % READ_QUERIES.length]!
        await reads.time(() => readOnce(api.url!, key, query), (problem) => problem)
      }
    }
    await Promise.all([...Array.from({ length: opts.uploaders }, () => uploader()), ...Array.from({ length: opts.readers }, (_, i) => reader(i))])
    const measuredMs = opts.durationMs
    const drainMs = performance.now() - deadline
    say(`run over; ${files.length} uploads processed (the last ones ${Math.round(drainMs)} ms after the end); checking counts against the offline scan`)

    const checks: TenantCheck[] = []
    for (const [index, t] of tenants.entries()) {
      checks.push(
        await checkTenant({
          tenant: t.name,
          tenantId: t.id,
          files: files.filter((f) => f.tenant === index),
          sql,
          detections: () => allDetections(api.url!, t.apiKey),
        }),
      )
    }
    // Status polls go on while the last uploads are processed; the others stop with the run.
    const summaries = { uploads: uploads.summary(measuredMs), statusPolls: polls.summary(measuredMs + drainMs), graphqlReads: reads.summary(measuredMs) }
    const all = Object.values(summaries).reduce((a, s) => ({ requests: a.requests + s.requests, failures: a.failures + s.failures, perSecond: a.perSecond + s.perSecond }), { requests: 0, failures: 0, perSecond: 0 })
    assertAlive(api, worker)
    return {
      machine: `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}`,
      options: { durationMs: opts.durationMs, tenants: opts.tenants, uploaders: opts.uploaders, readers: opts.readers, sizes: opts.sizes, drainTimeoutMs: opts.drainTimeoutMs ?? 120_000 },
      measuredMs,
      drainMs,
      ...summaries,
      all,
      processedUploads: files.length,
      processedEvents: files.reduce((n, f) => n + f.final.processEvents, 0),
      tenants: checks,
      passed: all.failures === 0 && checks.every((c) => c.mismatches.length === 0),
    }
  } finally {
    await Promise.all([stop(api), stop(worker)])
    await sql.end()
    await deleteQueueKeys(env.REDIS_URL!, queuePrefix)
  }
}

async function createTenants(databaseUrl: string, count: number) {
  const pool = createPool(databaseUrl, { max: 2 })
  const prisma = createPrisma(pool)
  try {
    const out: { id: string; name: string; apiKey: string }[] = []
    for (let i = 0; i < count; i++) {
      const { tenant, apiKey } = await createTenant(prisma, `load-${i + 1}`)
      await enableBundledRules(prisma, tenant.id, null)
      out.push({ id: tenant.id, name: tenant.name, apiKey })
    }
    return out
  } finally {
    await prisma.$disconnect()
    await pool.end()
  }
}

/** One GraphQL read; null when answered with data and no error, else what went wrong. */
async function readOnce(url: string, apiKey: string, query: string): Promise<string | null> {
  const res = await fetch(`${url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${apiKey}` }, body: JSON.stringify({ query }) })
  const text = await res.text()
  if (res.status !== 200) return `HTTP ${res.status}: ${text.slice(0, 300)}`
  const body = JSON.parse(text) as { errors?: unknown[] }
  return body.errors ? `errors: ${JSON.stringify(body.errors).slice(0, 300)}` : null
}

async function allDetections(url: string, apiKey: string) {
  const out: { rule: { escuId: string; name: string }; fields: Record<string, unknown>; count: number; firstTime: string | null; lastTime: string | null }[] = []
  let after: string | null = null
  for (;;) {
    const res = await fetch(`${url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${apiKey}` },
      body: JSON.stringify({
        query: 'query ($after: String) { detections(first: 200, after: $after) { pageInfo { hasNextPage endCursor } edges { node { rule { escuId name } fields count firstTime lastTime } } } }',
        variables: { after },
      }),
    })
    const body = (await res.json()) as { data?: { detections: { pageInfo: { hasNextPage: boolean; endCursor: string | null }; edges: { node: (typeof out)[number] }[] } }; errors?: unknown }
    if (!body.data) throw new Error(`detections could not be read: ${JSON.stringify(body.errors)}`)
    out.push(...body.data.detections.edges.map((e) => e.node))
    if (!body.data.detections.pageInfo.hasNextPage) return out
    after = body.data.detections.pageInfo.endCursor
  }
}

function assertAlive(...processes: ServiceProcess[]): void {
  for (const p of processes) if (p.proc.exitCode !== null || p.proc.signalCode !== null) throw new Error(`a service process died during the run: ${p.stderr().slice(-2000)}`)
}

async function stop(p: ServiceProcess): Promise<void> {
  if (p.proc.exitCode !== null || p.proc.signalCode !== null) return
  p.proc.kill('SIGTERM')
  const timer = setTimeout(() => p.proc.kill('SIGKILL'), 30_000)
  await p.exited
  clearTimeout(timer)
}

/** The report as Markdown, for the console and RELIABILITY.md. */
export function formatReport(r: LoadReport): string {
  const ms = (n: number) => `${Math.round(n)} ms`
  const row = (name: string, s: LatencySummary) => `| ${name} | ${s.requests} | ${s.failures} | ${s.perSecond.toFixed(1)} | ${ms(s.p50Ms)} | ${ms(s.p99Ms)} | ${ms(s.maxMs)} |`
  const lines = [
    `machine: ${r.machine}`,
    `run: ${r.options.durationMs / 1000} s, ${r.options.tenants} tenants, ${r.options.uploaders} upload clients, ${r.options.readers} GraphQL readers; upload sizes ${r.options.sizes.small}/${r.options.sizes.medium}/${r.options.sizes.large} events`,
    '',
    '| requests | count | failed | per second | p50 | p99 | max |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
    row('POST /v1/uploads', r.uploads),
    row('GET /v1/uploads/:id', r.statusPolls),
    row('GraphQL reads', r.graphqlReads),
    `| all | ${r.all.requests} | ${r.all.failures} | ${r.all.perSecond.toFixed(1)} | | | |`,
    '',
    `processed: ${r.processedUploads} uploads, ${r.processedEvents} process events (${Math.round(r.processedEvents / ((r.measuredMs + r.drainMs) / 1000))} events/s); last upload done ${ms(r.drainMs)} after the run`,
    '',
    '| tenant | uploads | events expected | events stored | detections expected | detections | exact |',
    '| --- | ---: | ---: | ---: | ---: | ---: | --- |',
    ...r.tenants.map((t) => `| ${t.tenant} | ${t.uploads} | ${t.expectedEvents} | ${t.storedEvents} | ${t.expectedDetections} | ${t.detections} | ${t.mismatches.length === 0 ? 'yes' : 'NO'} |`),
  ]
  const failures = [r.uploads, r.statusPolls, r.graphqlReads].flatMap((s) => s.sampleFailures)
  if (failures.length > 0) lines.push('', 'failed requests (first ones):', ...failures.map((f) => `- ${f}`))
  for (const t of r.tenants) if (t.mismatches.length > 0) lines.push('', `${t.tenant} mismatches (first ones):`, ...t.mismatches.map((m) => `- ${m}`))
  lines.push('', r.passed ? 'PASSED: no failed request, every count exact' : 'FAILED')
  return lines.join('\n')
}
