import { parseArgs } from 'node:util'
import { measureParseThroughput } from './parse-throughput.js'
import { machineLine, markdownTable, writeResults, type BenchRow } from './report.js'
import { measureRuleScaling } from './rule-scaling.js'
import { measureStoreThroughput } from './store-throughput.js'
import { measureStreamingMemory } from './streaming-memory.js'
import { measureWorkerMemory } from './worker-memory.js'

/**
 * `npm run bench`: every stage beside its floor, in ONE run, printed as a Markdown table and
 * written to test/bench/RESULTS.md. `--quick` shrinks every input for a smoke run (its figures
 * are not meaningful).
 */

const { values } = parseArgs({ options: { quick: { type: 'boolean', default: false }, mb: { type: 'string' }, gb: { type: 'string' } } })
const quick = values.quick ?? false
const fmt = (n: number): string => Math.round(n).toLocaleString('en-US')
const rows: BenchRow[] = []
const notes: string[] = []
const say = (text: string): void => void process.stderr.write(text + '\n')
say(`watchpost bench on ${machineLine()}${quick ? ' (quick)' : ''}`)

say('1/5 parse + normalize per source vs splitting the same bytes')
const parse = await measureParseThroughput({ mb: Number(values.mb ?? (quick ? 20 : 200)), rounds: quick ? 1 : 3 })
for (const p of parse) {
  rows.push({ stage: `parse + normalize: ${p.source}`, figure: `${p.parseMBps.toFixed(1)} MB/s (${fmt(p.parseEventsPerSecond)} events/s)`, floor: `${p.floorMBps.toFixed(1)} MB/s split`, ratio: p.ratio, target: p.target ?? 0 })
}

say('2/5 storing events (copyEvents under row-level security) vs a bare COPY of the same rows')
const store = await measureStoreThroughput({ rows: quick ? 20_000 : 200_000, rounds: quick ? 1 : 3 })
rows.push({ stage: 'storing normalized events (COPY via inbox, RLS)', figure: `${fmt(store.storeRowsPerSecond)} rows/s`, floor: `${fmt(store.floorRowsPerSecond)} rows/s bare COPY`, ratio: store.ratio, target: 0.7 })
notes.push(`storing: ${fmt(store.rows)} generated events per run, each run one transaction rolled back; the floor COPYs the same rows pre-built as CSV straight into process_events as the owner`)

say('3/5 rule evaluation: all corpus rules vs the ngrok rule')
const scaling = measureRuleScaling({ events: quick ? 20_000 : 200_000, runs: quick ? 1 : 3 })
rows.push({
  stage: `rule evaluation: ${scaling.allRules.rules} corpus rules vs 1 rule`,
  figure: `${fmt(scaling.allRules.eventsPerSecond)} events/s`,
  floor: `${fmt(scaling.oneRule.eventsPerSecond)} events/s`,
  ratio: scaling.ratio,
  target: 0.5,
})
notes.push(`rule evaluation over ${fmt(scaling.events)} generated events; 1 rule produced ${scaling.oneRule.rows} rows, ${scaling.allRules.rules} rules ${scaling.allRules.rows} rows`)

const gb = Number(values.gb ?? (quick ? 0.2 : 2))
say(`4/5 peak RSS streaming a ${gb} GB Sysmon log through the reader and the bundled rules`)
const memory = await measureStreamingMemory(gb)
rows.push({ stage: `memory: ${gb} GB upload, reader + bundled rules`, figure: `${memory.peakRssMB.toFixed(0)} MB peak RSS`, floor: '300 MB budget', ratio: 300 / memory.peakRssMB, target: 1 })
notes.push(`memory stage: ${fmt(memory.events)} events in ${memory.seconds.toFixed(1)} s in a separate process; the ratio is budget / peak (≥ 100% passes). It covers parsing and detection, not the COPY into Postgres.`)
say(`5/5 peak RSS of the real API and worker processes on a ${gb} GB upload (Postgres and Redis)`)
const real = await measureWorkerMemory(gb)
rows.push({ stage: `memory: ${gb} GB upload, worker process (parse, COPY, rules)`, figure: `${real.workerPeakRssMB.toFixed(0)} MB peak RSS`, floor: '300 MB budget', ratio: 300 / real.workerPeakRssMB, target: 1 })
rows.push({ stage: `memory: ${gb} GB upload, API process receiving it`, figure: `${real.apiPeakRssMB.toFixed(0)} MB peak RSS`, floor: '300 MB budget', ratio: 300 / real.apiPeakRssMB, target: 1 })
notes.push(`real processes: ${fmt(real.events)} events, upload ${real.status}; received in ${real.receiveSeconds.toFixed(1)} s, processed in ${real.processSeconds.toFixed(1)} s (VmHWM of each process)`)
notes.push('targets of 0% mark figures reported without a target')

process.stdout.write(markdownTable(rows) + '\n')
await writeResults(new URL('./RESULTS.md', import.meta.url), rows, notes)
