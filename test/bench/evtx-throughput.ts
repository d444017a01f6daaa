import { readFileSync } from 'node:fs'
import { crc32 } from 'node:zlib'
import { pathToFileURL } from 'node:url'
import { readEvtxFile, type EvtxEntry } from '../../src/ingest/evtx/evtx-file.js'
import { readEventBatches } from '../../src/ingest/index.js'

/**
 * EVTX reading beside XML reading of the same events: a real Sysmon EVTX chunk (the fixture from
 * the evtx project's sample: 41 records, 31 process creations) repeated to the asked size, read
 * by `readEventBatches` as an .evtx upload; the floor is the same records as Windows XML, one event
 * a line (what `wevtutil qe /f:xml` would give for them), read the same way. Events/s, no target:
 * the figure shows what reading the binary costs against reading its text export.
 */

export interface EvtxThroughputResult {
  readonly mb: number
  readonly records: number
  readonly evtxEventsPerSecond: number
  readonly evtxMBps: number
  readonly xmlEventsPerSecond: number
  /** evtx / xml events per second. */
  readonly ratio: number
}

const FIXTURE = new URL('../fixtures/logs/sysmon/omerbenamram-sysmon-chunk1.evtx', import.meta.url)
const HEADER = 4096
const PIECE = 1024 * 1024

async function* pieces(data: Buffer): AsyncGenerator<Buffer> {
  for (let o = 0; o < data.length; o += PIECE) yield data.subarray(o, o + PIECE)
}

async function countItems(data: Buffer): Promise<number> {
  let n = 0
  for await (const batch of readEventBatches(pieces(data))) n += batch.items.length
  return n
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

export async function measureEvtxThroughput(opts: { mb?: number; rounds?: number } = {}): Promise<EvtxThroughputResult> {
  const fixture = readFileSync(FIXTURE)
  const chunk = fixture.subarray(HEADER)
  const copies = Math.max(1, Math.round(((opts.mb ?? 50) * 1e6) / chunk.length))
  const header = Buffer.from(fixture.subarray(0, HEADER))
  header.writeUInt16LE(Math.min(copies, 0xffff), 42)
  header.writeUInt32LE(crc32(header.subarray(0, 120)), 124)
  const evtx = Buffer.concat([header, ...Array<Buffer>(copies).fill(chunk)])
  const entries: EvtxEntry[] = []
  for await (const batch of readEvtxFile(pieces(fixture))) entries.push(...batch)
  const lines = entries.flatMap((e) => (e.kind === 'record' ? [e.xml] : []))
  const xml = Buffer.from(`${Array<string>(copies).fill(lines.join('\n')).join('\n')}\n`)
  const records = lines.length * copies
  const evtxRuns: number[] = []
  const xmlRuns: number[] = []
  for (let round = 0; round < Math.max(1, opts.rounds ?? 3); round++) {
    for (const [data, runs] of [[evtx, evtxRuns], [xml, xmlRuns]] as const) {
      const started = performance.now()
      const items = await countItems(data)
      runs.push((performance.now() - started) / 1000)
      if (items !== records) throw new Error(`${items} items read, ${records} records written`)
    }
  }
  const evtxS = median(evtxRuns)
  const xmlS = median(xmlRuns)
  return { mb: evtx.length / 1e6, records, evtxEventsPerSecond: records / evtxS, evtxMBps: evtx.length / 1e6 / evtxS, xmlEventsPerSecond: records / xmlS, ratio: xmlS / evtxS }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.log(await measureEvtxThroughput({ mb: Number(process.argv[2] ?? 50) }))
}
