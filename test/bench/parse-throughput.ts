import { Buffer } from 'node:buffer'
import { pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'
import { readEventBatches } from '../../src/ingest/index.js'
import { synthetic4688Lines, syntheticCrowdStrikeLines, syntheticWinlogbeatLines } from '../unit/ingest/helpers/synthetic-corpus.js'
import { syntheticSysmonLines } from '../unit/ingest/helpers/synthetic-sysmon.js'

/**
 * Benchmark for parse throughput per source: `readEventBatches` (split, decode, parse, normalize
 * to CIM) against the floor on the same bytes — a streaming splitter over 1 MiB chunks that
 * decodes each chunk to a string and cuts it into lines without parsing them (STACK.md §2a).
 * Not a unit test: run `npx tsx test/bench/parse-throughput.ts [--mb 200] [--rounds 3]`, or call
 * measureParseThroughput from another script. The corpora are generated deterministically (see
 * test/unit/ingest/helpers/synthetic-*.ts), in memory, ~1% ngrok; the total size is split evenly.
 * Methods run interleaved round by round (load from other processes hits every method alike),
 * after one warm-up round, and the median round is reported.
 */

export type BenchSource = 'Sysmon XML' | 'Sysmon XML, 1,000 events a line' | 'Sysmon XML, all on one line' | 'Security 4688 XML' | 'CrowdStrike NDJSON' | 'Winlogbeat JSON'

/** Options of measureParseThroughput; every field has a default. */
export interface ParseThroughputOptions {
  /** Total corpus size in MB (10^6 bytes), split evenly between the sources (default 200). */
  readonly mb?: number
  /** Measured rounds; the median is reported (default 3). */
  readonly rounds?: number
  /** PRNG seed of the generators (default 7). */
  readonly seed?: number
  /** Fraction of events that run ngrok (default 0.01). */
  readonly ngrokRate?: number
  /** Sources to measure (default all). */
  readonly sources?: readonly BenchSource[]
}

/** One source's figures. `target` is the required parse/floor ratio, where there is one. */
export interface ParseThroughputRow {
  source: BenchSource
  events: number
  mb: number
  parseMBps: number
  parseEventsPerSecond: number
  floorMBps: number
  ratio: number
  target: number | null
  pass: boolean | null
}

/** How each source's events are generated (one per line), and how many share a line in the corpus. */
interface SourceSpec {
  readonly generate: (seed: number, count: number, ngrokRate: number) => string[]
  /**
   * Events written one after another on each line (default 1): exports that save a log with no
   * line breaks between its events must not slow the readers down.
   */
  readonly eventsPerLine?: number
}

const sysmonLines = (seed: number, count: number, rate: number): string[] => syntheticSysmonLines(seed, count, "'", rate)

const SOURCES: Record<BenchSource, SourceSpec> = {
  'Sysmon XML': { generate: sysmonLines },
  'Sysmon XML, 1,000 events a line': { generate: sysmonLines, eventsPerLine: 1000 },
  // wevtutil's export: one line, far over the 8 MiB line limit, read in pieces cut between events.
  'Sysmon XML, all on one line': { generate: sysmonLines, eventsPerLine: Infinity },
  'Security 4688 XML': { generate: synthetic4688Lines },
  'CrowdStrike NDJSON': { generate: syntheticCrowdStrikeLines },
  'Winlogbeat JSON': { generate: syntheticWinlogbeatLines },
}
/** Required parse/floor ratios (STACK.md: the XML parser must keep ≥ 35% of the split floor). */
const TARGETS: Partial<Record<BenchSource, number>> = { 'Sysmon XML': 0.35 }
const CHUNK = 1 << 20

function corpus(source: BenchSource, bytes: number, seed: number, rate: number): { data: Buffer; events: number; lines: number } {
  const { generate, eventsPerLine = 1 } = SOURCES[source]
  const sample = generate(seed + 1000, 500, rate)
  const perEvent = sample.reduce((n, l) => n + Buffer.byteLength(l) + 1, 0) / sample.length
  const events = generate(seed, Math.max(1, Math.ceil(bytes / perEvent)), rate)
  const lines: string[] = []
  for (let i = 0; i < events.length; i += eventsPerLine) lines.push(events.slice(i, i + eventsPerLine).join(''))
  return { data: Buffer.from(`${lines.join('\n')}\n`), events: events.length, lines: lines.length }
}

async function* chunks(data: Buffer): AsyncGenerator<Buffer> {
  for (let o = 0; o < data.length; o += CHUNK) yield data.subarray(o, o + CHUNK)
}

/**
 * The floor: the bytes in ~1 MiB pieces, each cut after its last newline (as a streaming reader
 * would; a piece holding no newline grows to the end of its line), decoded to a string and split
 * into lines; each line is looked at once (`indexOf`).
 */
function splitFloor(data: Buffer): number {
  let lines = 0
  let hits = 0
  for (let o = 0; o < data.length; ) {
    let e = Math.min(data.length, o + CHUNK)
    if (e < data.length) {
      const lastNewline = data.lastIndexOf(0x0a, e - 1)
      const next = data.indexOf(0x0a, e)
      e = lastNewline >= o ? lastNewline + 1 : next < 0 ? data.length : next + 1
    }
    const text = data.toString('utf8', o, e)
    let a = 0
    for (let b = text.indexOf('\n'); b >= 0; a = b + 1, b = text.indexOf('\n', a)) {
      lines++
      if (text.slice(a, b).indexOf('ngrok') >= 0) hits++
    }
    if (a < text.length) lines++
    o = e
  }
  return hits >= 0 ? lines : -1
}

async function parse(data: Buffer): Promise<number> {
  let events = 0
  for await (const batch of readEventBatches(chunks(data))) for (const item of batch.items) if (item.kind === 'event') events++
  return events
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

export async function measureParseThroughput(opts: ParseThroughputOptions = {}): Promise<ParseThroughputRow[]> {
  const sources = opts.sources ?? (Object.keys(SOURCES) as BenchSource[])
  const perSource = ((opts.mb ?? 200) * 1e6) / sources.length
  const rounds = Math.max(1, opts.rounds ?? 3)
  const corpora = sources.map((source, i) => ({ source, ...corpus(source, perSource, (opts.seed ?? 7) + i, opts.ngrokRate ?? 0.01) }))
  const timings = corpora.map(() => ({ parse: [] as number[], floor: [] as number[] }))
  for (let round = 0; round <= rounds; round++) {
    for (const [i, c] of corpora.entries()) {
      let t0 = performance.now()
      const lines = splitFloor(c.data)
      const floor = performance.now() - t0
      t0 = performance.now()
      const parsed = await parse(c.data)
      const parseMs = performance.now() - t0
      if (lines !== c.lines || parsed !== c.events) throw new Error(`${c.source}: ${c.events} events on ${c.lines} lines generated, ${lines} lines split, ${parsed} events parsed`)
      if (round === 0) continue // warm-up
      timings[i]!.floor.push(floor)
      timings[i]!.parse.push(parseMs)
    }
  }
  return corpora.map((c, i) => {
    const mb = c.data.length / 1e6
    const parseS = median(timings[i]!.parse) / 1000
    const floorMBps = mb / (median(timings[i]!.floor) / 1000)
    const ratio = mb / parseS / floorMBps
    const target = TARGETS[c.source] ?? null
    return { source: c.source, events: c.events, mb, parseMBps: mb / parseS, parseEventsPerSecond: c.events / parseS, floorMBps, ratio, target, pass: target === null ? null : ratio >= target }
  })
}

/** The rows as a Markdown table. */
export function formatParseThroughput(rows: readonly ParseThroughputRow[]): string {
  const n = (x: number, digits = 1) => x.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })
  const pct = (x: number) => `${Math.round(100 * x)}%`
  return [
    '| source | events | MB | parse MB/s (events/s) | floor MB/s | ratio | target | pass |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
    ...rows.map(
      (r) =>
        `| ${r.source} | ${n(r.events, 0)} | ${n(r.mb)} | ${n(r.parseMBps)} (${n(r.parseEventsPerSecond, 0)}) | ${n(r.floorMBps)} | ${pct(r.ratio)} | ` +
        `${r.target === null ? '—' : `≥ ${pct(r.target)}`} | ${r.pass === null ? '—' : r.pass ? 'yes' : 'NO'} |`,
    ),
  ].join('\n')
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values } = parseArgs({ options: { mb: { type: 'string' }, rounds: { type: 'string' } } })
  const options = { mb: values.mb === undefined ? undefined : Number(values.mb), rounds: values.rounds === undefined ? undefined : Number(values.rounds) }
  const rows = await measureParseThroughput(options)
  console.log(`Node ${process.version}; median of ${options.rounds ?? 3} interleaved rounds after a warm-up\n`)
  console.log(formatParseThroughput(rows))
  if (rows.some((r) => r.pass === false)) process.exitCode = 1
}
