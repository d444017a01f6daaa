import { mkdir, writeFile } from 'node:fs/promises'
import { cpus, loadavg } from 'node:os'
import { parseArgs } from 'node:util'
import { openBenchDeployment } from './bench-deployment.js'
import { startWatchpost, type BenchProcess } from './bench-processes.js'
import { corpusSlices, emptyDatabase } from './end-to-end-throughput.js'
import { timedMultiTenantRun, type MultiTenantFigures } from './multi-tenant-run.js'
import { machineLine } from './report.js'

/**
 * `npm run bench:scaling`: how end-to-end throughput grows with worker processes, measured on
 * this machine for docs/SCALING.md (step 2). The same corpus (no event identity repeated) goes
 * through the real `watchpost serve` and N real `watchpost worker` processes (WORKER_CONCURRENCY=1
 * each), sent as the uploads of M tenants interleaved, for every N × M of the grid. Each run
 * starts from an emptied database; the grid is walked forwards, then backwards, round after round,
 * so that load from other processes on a shared machine falls on every cell alike. Each cell
 * reports the median of its rounds.
 *
 * The default run writes test/bench/SCALING-RESULTS.md; `--quick` is a smoke run whose figures
 * mean nothing and go to test/artifacts.
 */

const WORKER_COUNTS = [1, 2, 3, 4] as const
const TENANT_COUNTS = [1, 4] as const

const { values } = parseArgs({ options: { quick: { type: 'boolean', default: false } } })
const quick = values.quick ?? false
// 16 uploads: four per worker at N=4, four per tenant at M=4. Sized so the default stays under
// ten minutes on a shared 2-core machine (a run takes 8–30 s there, 25 runs in all).
const config = quick ? { events: 16_000, uploads: 8, rounds: 1, warmUp: false } : { events: 96_000, uploads: 16, rounds: 3, warmUp: true }

const fmt = (n: number): string => Math.round(n).toLocaleString('en-US')
const say = (text: string): void => void process.stderr.write(text + '\n')
const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b)
  const mid = s.length >> 1
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2
}

interface Cell {
  readonly workers: number
  readonly tenants: number
  readonly runs: MultiTenantFigures[]
}

/** Starts or stops worker processes until `n` are running (started in parallel, stopped one by one so each drains). */
async function scaleWorkers(workers: BenchProcess[], n: number, env: Record<string, string>): Promise<void> {
  while (workers.length > n) await workers.pop()!.stop()
  workers.push(...(await Promise.all(Array.from({ length: n - workers.length }, () => startWatchpost('worker', env)))))
}

/** The grid in the order of one round: forwards on even rounds, backwards on odd ones. */
function roundOrder(round: number): { workers: number; tenants: number }[] {
  const cells = WORKER_COUNTS.flatMap((workers) => TENANT_COUNTS.map((tenants) => ({ workers, tenants })))
  return round % 2 === 0 ? cells : cells.reverse()
}

say(`watchpost scaling simulation on ${machineLine()}${quick ? ' (quick)' : ''}`)
const slices = corpusSlices(config.events, config.uploads)
const megabytes = slices.reduce((n, s) => n + s.length, 0) / 1e6
const cells = new Map<string, Cell>()
const cellOf = (workers: number, tenants: number): Cell => {
  const key = `${workers}×${tenants}`
  if (!cells.has(key)) cells.set(key, { workers, tenants, runs: [] })
  return cells.get(key)!
}
const loads: number[] = []
const detectionsByTenants = new Map<number, Set<number>>()
const started = performance.now()

const deployment = await openBenchDeployment()
const { owner, prisma, env } = deployment
const workers: BenchProcess[] = []
let api: BenchProcess | null = null
try {
  api = await startWatchpost('serve', env)
  const plan = [...(config.warmUp ? [{ round: -1, workers: 1, tenants: 1 }] : []), ...Array.from({ length: config.rounds }, (_, round) => roundOrder(round).map((c) => ({ round, ...c }))).flat()]
  for (const [i, step] of plan.entries()) {
    await scaleWorkers(workers, step.workers, env)
    await emptyDatabase(owner)
    loads.push(loadavg()[0]!)
    const run = await timedMultiTenantRun(api.url!, prisma, slices, config.events, step.tenants, `scaling-${i}`)
    const seen = detectionsByTenants.get(step.tenants) ?? new Set<number>()
    detectionsByTenants.set(step.tenants, seen.add(run.detections))
    const label = step.round < 0 ? 'warm-up' : `round ${step.round + 1}`
    say(`${i + 1}/${plan.length} ${label}: ${step.workers} worker(s), ${step.tenants} tenant(s): ${fmt(config.events / run.seconds)} events/s in ${run.seconds.toFixed(1)} s, spread ${run.completionSpreadSeconds.toFixed(1)} s, load ${loads.at(-1)!.toFixed(1)}`)
    if (step.round >= 0) cellOf(step.workers, step.tenants).runs.push(run)
  }
} finally {
  await Promise.all([api, ...workers].map((p) => p?.stop()))
  await deployment.close()
}
for (const [tenants, seen] of detectionsByTenants) if (seen.size !== 1) throw new Error(`runs with ${tenants} tenant(s) disagree on the detections: ${[...seen].join(', ')}`)

const eventsPerSecond = (c: Cell): number => median(c.runs.map((r) => config.events / r.seconds))
const rows = ['| workers (N) | tenants (M) | events/s | speed-up vs N=1 | tenant completion spread | events/s of a busy worker | runs (events/s) |', '| ---: | ---: | ---: | ---: | ---: | ---: | --- |']
for (const tenants of TENANT_COUNTS) {
  const base = eventsPerSecond(cellOf(1, tenants))
  for (const workers of WORKER_COUNTS) {
    const c = cellOf(workers, tenants)
    const spread = median(c.runs.map((r) => r.completionSpreadSeconds))
    const seconds = median(c.runs.map((r) => r.seconds))
    const spreadText = tenants === 1 ? '—' : `${spread.toFixed(1)} s of ${seconds.toFixed(1)} s`
    const busy = median(c.runs.map((r) => config.events / r.processingSeconds))
    rows.push(`| ${workers} | ${tenants} | ${fmt(eventsPerSecond(c))} | ${(eventsPerSecond(c) / base).toFixed(2)}× | ${spreadText} | ${fmt(busy)} | ${c.runs.map((r) => fmt(config.events / r.seconds)).join(', ')} |`)
  }
}
const table = rows.join('\n')
const minutes = (performance.now() - started) / 60_000
const notes = [
  `${fmt(config.events)} generated Sysmon events (${megabytes.toFixed(0)} MB, no event identity repeated) in ${config.uploads} uploads, split evenly across the M tenants (each with its own key and the bundled rules) and sent interleaved, one after another, to \`watchpost serve\`; ` +
    `N \`watchpost worker\` processes with WORKER_CONCURRENCY=1. A run is timed from the first POST until GraphQL shows every tenant's uploads finished and its detections readable; each run starts from an emptied database.`,
  `events/s: median of ${config.rounds} run(s) per cell, the grid walked forwards then backwards${config.warmUp ? ' after one untimed warm-up run' : ''}. Speed-up: against N=1 with the same M.`,
  "tenant completion spread: the last tenant's last upload finished this long after the first tenant's last upload (median of the runs), beside the run's median length. Small means the workers served the tenants in rounds, none left waiting behind the others.",
  'events/s of a busy worker: all events over the seconds the uploads spent in a worker (startedAt..finishedAt), summed: what one job slot achieves while it has work. It falls as workers outnumber the cores.',
  `The machine: ${cpus().length} cores, shared with other engineers' tests while this ran (1-minute load average ${Math.min(...loads).toFixed(1)}–${Math.max(...loads).toFixed(1)} at the start of the runs). ` +
    `Postgres, Redis, the API and the benchmark itself run on the same cores as the workers, so throughput cannot grow beyond about ${cpus().length} workers here: read the shape (growth up to the cores, flat beyond, tenants served alike), not the absolute figures.`,
  `The whole simulation took ${minutes.toFixed(1)} minutes.`,
]

process.stdout.write(table + '\n')
// A quick run's figures mean nothing: they go to test/artifacts (ignored by git), never over SCALING-RESULTS.md.
const resultsFile = quick ? new URL('../artifacts/scaling-quick.md', import.meta.url) : new URL('./SCALING-RESULTS.md', import.meta.url)
await mkdir(new URL('.', resultsFile), { recursive: true })
const text = ['# Scaling simulation: throughput against worker processes and tenants', '', `Last run: ${machineLine()}${quick ? ' (quick: figures not meaningful)' : ''}.`, '', table, '', ...notes.map((n) => `- ${n}`), '', 'Re-run: `npm run bench:scaling` (under ten minutes; `-- --quick` for a smoke run).', ''].join('\n')
await writeFile(resultsFile, text)
