import { pathToFileURL } from 'node:url'
import pg from 'pg'
import type { PrismaClient } from '../../src/db/prisma.js'
import { enableBundledRules } from '../../src/services/bundled-content.js'
import { createTenant } from '../../src/store/tenants.js'
import { syntheticSysmonLines } from '../unit/ingest/helpers/synthetic-sysmon.js'
import { openBenchDeployment } from './bench-deployment.js'
import { startWatchpost, type BenchProcess } from './bench-processes.js'
import { cpuSplit, sampleCpu } from './cpu-usage.js'
import { postGraphQL } from './graphql-client.js'

/**
 * End to end, as a customer sees it: a generated Sysmon corpus sent to the real `watchpost serve`
 * as several uploads (POST /v1/uploads, one after another), processed by real `watchpost worker`
 * processes (one upload at a time each), until GraphQL reports every upload finished and the
 * detections are there to read. Events per second, with one worker and with two.
 *
 * The corpus is generated once and cut into contiguous slices, so no event identity (Computer,
 * Channel, EventRecordID) repeats across uploads: every event is new to the tenant. Each run starts
 * from an emptied database with a fresh tenant and the bundled rules; runs with one and two
 * workers alternate (load from other processes hits both alike), after one warm-up pair.
 */

export interface EndToEndOptions {
  /** Events in the corpus (default 120_000). */
  readonly events?: number
  /** Uploads the corpus is cut into (default 8): each worker takes one at a time. */
  readonly uploads?: number
  /** Timed runs per worker count; the median is reported (default 3). */
  readonly rounds?: number
  /** One untimed pair of runs first (default true). */
  readonly warmUp?: boolean
}

export interface EndToEndResult {
  readonly events: number
  readonly uploads: number
  readonly megabytes: number
  /** Detections the bundled rules found in the corpus (the same in every run). */
  readonly detections: number
  /** Median of the 1-worker runs: seconds until the API had answered every upload. */
  readonly receiveSeconds: number
  /** Median of the 1-worker runs: events per second of a worker while it processed an upload (startedAt..finishedAt). */
  readonly busyWorkerEventsPerSecond: number
  /** Median events/s of the runs. */
  readonly oneWorkerEventsPerSecond: number
  readonly twoWorkersEventsPerSecond: number
  readonly oneWorkerRuns: readonly number[]
  readonly twoWorkersRuns: readonly number[]
  /** Where the CPU went in the timed runs, by worker count (medians); null where /proc cannot tell. */
  readonly cpu: { readonly 1: CpuFigures | null; readonly 2: CpuFigures | null }
}

/** Cores in use, on average over a run: the machine's, the hypervisor's steal, the API's and the workers'. */
export interface CpuFigures {
  readonly busyCores: number
  readonly stealCores: number
  readonly apiCores: number
  readonly workerCores: number
}

const FINISHED = new Set(['SUCCEEDED', 'SUCCEEDED_WITH_ERRORS', 'FAILED'])
const POLL_MS = 100

/** The corpus in `uploads` contiguous slices, each a newline-terminated Sysmon log. */
export function corpusSlices(events: number, uploads: number): Buffer[] {
  const lines = syntheticSysmonLines(11, events, "'", 0.01)
  const per = Math.ceil(events / uploads)
  return Array.from({ length: uploads }, (_, i) => Buffer.from(lines.slice(i * per, (i + 1) * per).join('\n') + '\n'))
}

/** Every table but the migration ledger, emptied: each run starts from a fresh database's state. */
export async function emptyDatabase(owner: pg.Client): Promise<void> {
  const { rows } = await owner.query<{ tables: string }>(
    "SELECT string_agg(format('%I', tablename), ', ') AS tables FROM pg_tables WHERE schemaname = 'public' AND tablename <> '_prisma_migrations'",
  )
  await owner.query(`TRUNCATE ${rows[0]!.tables} CASCADE`)
}

interface RunFigures {
  seconds: number
  receiveSeconds: number
  /** Seconds the uploads spent in a worker, summed. */
  processingSeconds: number
  detections: number
  cpu: CpuFigures | null
}

/**
 * Uploads every slice as a new tenant, then polls GraphQL until the uploads are done and the
 * detections readable. `api` and `workers` are the processes, for the CPU each used.
 */
async function timedRun(api: BenchProcess, workers: readonly BenchProcess[], prisma: PrismaClient, slices: Buffer[], events: number, name: string): Promise<RunFigures> {
  const { tenant, apiKey } = await createTenant(prisma, name)
  await enableBundledRules(prisma, tenant.id, null)
  const pids = [api, ...workers].map((p) => p.proc.pid!)
  const cpuBefore = sampleCpu(pids)
  const t0 = performance.now()
  for (const [i, slice] of slices.entries()) {
    const res = await fetch(`${api.url}/v1/uploads?fileName=part-${i}.xml`, { method: 'POST', headers: { authorization: `Bearer ${apiKey}` }, body: slice })
    if (res.status !== 202) throw new Error(`upload ${i} answered ${res.status}: ${(await res.text()).slice(0, 300)}`)
  }
  const receiveSeconds = (performance.now() - t0) / 1000
  type Upload = { status: string; eventCount: number; failureReason: string | null; errors: { line: number; message: string }[]; startedAt: string | null; finishedAt: string | null }
  type Uploads = { uploads: { edges: { node: Upload }[] } }
  let uploads: Uploads['uploads']['edges'] = []
  for (;;) {
    uploads = (await postGraphQL<Uploads>(api.url!, apiKey, `{ uploads(first: ${slices.length}) { edges { node { status eventCount failureReason errors { line message } startedAt finishedAt } } } }`)).uploads.edges
    if (uploads.length === slices.length && uploads.every((u) => FINISHED.has(u.node.status))) break
    await new Promise((r) => setTimeout(r, POLL_MS))
  }
  const { detections } = await postGraphQL<{ detections: { totalCount: number } }>(api.url!, apiKey, '{ detections(first: 1) { totalCount } }')
  const seconds = (performance.now() - t0) / 1000
  const cpuAfter = sampleCpu(pids)
  const split = cpuBefore && cpuAfter ? cpuSplit(cpuBefore, cpuAfter) : null
  const cpu = split && {
    busyCores: split.busyCores,
    stealCores: split.stealCores,
    apiCores: split.processCores[0]!,
    workerCores: split.processCores.slice(1).reduce((a, b) => a + b, 0),
  }
  const failed = uploads.find((u) => u.node.status !== 'SUCCEEDED')
  if (failed) throw new Error(`an upload ended ${failed.node.status}: ${failed.node.failureReason ?? JSON.stringify(failed.node.errors.slice(0, 3))}`)
  const stored = uploads.reduce((n, u) => n + u.node.eventCount, 0)
  if (stored !== events || detections.totalCount === 0) throw new Error(`${stored} of ${events} events read, ${detections.totalCount} detections`)
  const processingSeconds = uploads.reduce((n, u) => n + (Date.parse(u.node.finishedAt!) - Date.parse(u.node.startedAt!)) / 1000, 0)
  return { seconds, receiveSeconds, processingSeconds, detections: detections.totalCount, cpu }
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!

export async function measureEndToEnd(opts: EndToEndOptions = {}): Promise<EndToEndResult> {
  const events = opts.events ?? 120_000
  const slices = corpusSlices(events, opts.uploads ?? 8)
  const rounds = opts.rounds ?? 3
  const deployment = await openBenchDeployment()
  const { owner, prisma, env } = deployment
  const running: BenchProcess[] = []
  const runs = { 1: [] as number[], 2: [] as number[] }
  const timed = { 1: [] as RunFigures[], 2: [] as RunFigures[] }
  const detections = new Set<number>()
  try {
    const api = await startWatchpost('serve', env)
    const worker = await startWatchpost('worker', env)
    running.push(api, worker)
    for (let round = opts.warmUp === false ? 1 : 0; round <= rounds; round++) {
      for (const workers of [1, 2] as const) {
        await emptyDatabase(owner)
        const second = workers === 2 ? await startWatchpost('worker', env) : null
        try {
          const run = await timedRun(api, second ? [worker, second] : [worker], prisma, slices, events, `bench-${round}-${workers}`)
          detections.add(run.detections)
          if (round === 0) continue
          runs[workers].push(events / run.seconds)
          timed[workers].push(run)
        } finally {
          await second?.stop()
        }
      }
    }
  } finally {
    await Promise.all(running.map((p) => p.stop()))
    await deployment.close()
  }
  if (detections.size !== 1) throw new Error(`runs disagree on the detections: ${[...detections].join(', ')}`)
  const oneWorker = timed[1]
  return {
    events,
    uploads: slices.length,
    megabytes: slices.reduce((n, s) => n + s.length, 0) / 1e6,
    detections: [...detections][0]!,
    receiveSeconds: median(oneWorker.map((r) => r.receiveSeconds)),
    busyWorkerEventsPerSecond: median(oneWorker.map((r) => events / r.processingSeconds)),
    oneWorkerEventsPerSecond: median(runs[1]),
    twoWorkersEventsPerSecond: median(runs[2]),
    oneWorkerRuns: runs[1],
    twoWorkersRuns: runs[2],
    cpu: { 1: medianCpu(timed[1]), 2: medianCpu(timed[2]) },
  }
}

function medianCpu(runs: readonly RunFigures[]): CpuFigures | null {
  const cpus = runs.map((r) => r.cpu)
  if (cpus.length === 0 || cpus.some((c) => c === null)) return null
  const of = (pick: (c: CpuFigures) => number): number => median(cpus.map((c) => pick(c!)))
  return { busyCores: of((c) => c.busyCores), stealCores: of((c) => c.stealCores), apiCores: of((c) => c.apiCores), workerCores: of((c) => c.workerCores) }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.log(await measureEndToEnd({ events: Number(process.argv[2] ?? 120_000), rounds: Number(process.argv[3] ?? 3) }))
}
