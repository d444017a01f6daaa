/**
 * Throughput of the Sysmon XML paths on the same bytes (not a test; run by hand):
 *   npx tsx test/unit/ingest/measure-throughput.ts [megabytes=100] [rounds=5]
 * Prints the median MB/s (over interleaved rounds) of: the line-split floors, the fast path and the strict (saxes) path,
 * each including normalization to CIM events, and the whole reader (`readEventBatches`).
 */
import { Buffer } from 'node:buffer'
import { readEventBatches } from '../../../src/ingest/index.js'
import { LineSplitter } from '../../../src/ingest/bytes/line-splitter.js'
import { windowsEventItem } from '../../../src/ingest/windows-event.js'
import { parseRegularLine } from '../../../src/ingest/xml/fast-path.js'
import { StrictEventParser } from '../../../src/ingest/xml/strict-path.js'
import type { IngestItem } from '../../../src/ingest/types.js'
import { syntheticSysmonLines } from './helpers/synthetic-sysmon.js'

const megabytes = Number(process.argv[2] ?? 100)
const rounds = Number(process.argv[3] ?? 5)
const sample = syntheticSysmonLines(1, 2000)
const perLine = sample.reduce((n, l) => n + Buffer.byteLength(l) + 1, 0) / sample.length
const lines = syntheticSysmonLines(7, Math.ceil((megabytes * 1e6) / perLine))
const bytes = Buffer.from(lines.join('\n') + '\n')
const pretty = Buffer.from(lines.map((l) => l.replace(/></g, '>\n<')).join('\n') + '\n')
const CHUNK = 4 * 1024 * 1024

/** ~1 MiB pieces cut after a newline, decoded, split — the STACK.md floor. */
function splitFloor(): number {
  let hits = 0
  for (let o = 0; o < bytes.length; ) {
    let e = Math.min(bytes.length, o + (1 << 20))
    if (e < bytes.length) e = bytes.lastIndexOf(10, e - 1) + 1
    const s = bytes.toString('utf8', o, e)
    for (let a = 0, b = s.indexOf('\n'); b >= 0; a = b + 1, b = s.indexOf('\n', a)) if (s.slice(a, b).indexOf('ngrok') >= 0) hits++
    o = e
  }
  return hits
}

/** Our own splitter (per-line decode) feeding `onLine`; items are dropped every 1000 like a consumer would. */
function viaSplitter(onLine: (line: string, no: number, out: IngestItem[]) => void): number {
  let out: IngestItem[] = []
  let n = 0
  const splitter = new LineSplitter({ line: (t, no) => onLine(t, no, out), unreadable: () => {} }, 8 << 20)
  for (let o = 0; o < bytes.length; o += CHUNK) {
    splitter.push(bytes.subarray(o, o + CHUNK))
    if (out.length >= 1000) ((n += out.length), (out = []))
  }
  splitter.end()
  return n + out.length
}

const strict = new StrictEventParser()
const runs: Record<string, () => number | Promise<number>> = {
  'floor: decode 1 MiB pieces + split + indexOf': splitFloor,
  'floor: LineSplitter (per-line decode), no parse': () => viaSplitter(() => {}),
  'fast path + normalize (parseRegularLine)': () =>
    viaSplitter((t, no, out) => {
      for (const r of parseRegularLine(t)!) out.push(windowsEventItem(r, no, 0, 0, t.length))
    }),
  'saxes path + normalize (StrictEventParser per line)': () =>
    viaSplitter((t, no, out) => {
      strict.begin(no, 0)
      strict.write(t, no, 0)
      strict.finish()
      for (const e of strict.events) out.push(windowsEventItem(e.record, e.line, e.offset, e.rawOffset, e.rawLength))
    }),
  'readEventBatches, one event per line (fast path)': () => countItems(bytes),
}

async function countItems(input: Buffer): Promise<number> {
  let n = 0
  async function* chunks() {
    for (let o = 0; o < input.length; o += CHUNK) yield input.subarray(o, o + CHUNK)
  }
  for await (const batch of readEventBatches(chunks())) n += batch.items.length
  return n
}

console.log(`${lines.length} events, ${(bytes.length / 1e6).toFixed(1)} MB (${perLine.toFixed(0)} B/event); Node ${process.version}`)
// Runs are interleaved round by round, so load from other processes hits every method alike;
// the ratio to the split floor is taken within each round.
const FLOOR = 'floor: decode 1 MiB pieces + split + indexOf'
const FAST = 'readEventBatches, one event per line (fast path)'
const rates: Record<string, number[]> = {}
const ratios: number[] = []
for (let r = 0; r <= rounds; r++) {
  const round: Record<string, number> = {}
  for (const [name, run] of Object.entries(runs)) {
    const t0 = performance.now()
    await run()
    round[name] = bytes.length / 1e6 / ((performance.now() - t0) / 1000)
  }
  const t0 = performance.now()
  await countItems(pretty)
  round['readEventBatches, same events pretty-printed (saxes document mode; MB of the one-line form)'] = bytes.length / 1e6 / ((performance.now() - t0) / 1000)
  if (r === 0) continue // warm-up
  for (const [name, rate] of Object.entries(round)) (rates[name] ??= []).push(rate)
  ratios.push(round[FAST]! / round[FLOOR]!)
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
for (const [name, xs] of Object.entries(rates)) console.log(`${median(xs).toFixed(1).padStart(7)} MB/s  (min ${Math.min(...xs).toFixed(1)}, max ${Math.max(...xs).toFixed(1)})  ${name}`)
console.log(`fast path / split floor, per round: median ${(100 * median(ratios)).toFixed(0)}% (${ratios.map((x) => (100 * x).toFixed(0)).join(', ')})`)
