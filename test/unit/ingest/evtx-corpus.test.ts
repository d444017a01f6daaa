import { existsSync, readFileSync } from 'node:fs'
import { gunzipSync } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import { type IngestItem } from '../../../src/ingest/index.js'
import { readAll, SHARED_DATASETS } from './helpers/read.js'

/**
 * Every real EVTX file of ../shared/datasets (skipped without it): each gives as many records and
 * process creations as MANIFEST.tsv counts for it, and each process creation equals — source, key
 * and every CIM field — the one read from the dataset's XML rendering of the same file (made with
 * libevtx: derived/*.xml). The datasets' deliberately damaged sample is reported, not thrown on;
 * a file the manifest's counting tool failed on (python-evtx, issue_201.evtx) is read without errors.
 */

const MANIFEST = `${SHARED_DATASETS}MANIFEST.tsv`
const present = existsSync(MANIFEST)

interface EvtxRow {
  readonly file: string
  /** The tool that counted for the manifest (python-evtx) failed on this file: its counts are not a reference. */
  readonly countFailed: boolean
  readonly events: number
  readonly processEvents: number
}

function evtxRows(): EvtxRow[] {
  const [header, ...rows] = readFileSync(MANIFEST, 'utf8').trim().split('\n')
  const cols = header!.split('\t')
  const at = (v: string[], name: string) => v[cols.indexOf(name)]!
  return rows
    .map((r) => r.split('\t'))
    .filter((v) => at(v, 'file').endsWith('.evtx'))
    .map((v) => ({ file: at(v, 'file'), countFailed: at(v, 'format').includes('parser warning'), events: Number(at(v, 'events')), processEvents: Number(at(v, 'process_creation_events')) }))
}

/** The XML renderings of each dataset's EVTX files. */
const DERIVED: Record<string, string> = {
  'evtx-to-mitre-attack': 'evtx-to-mitre-attack/derived/all_events.xml.gz',
  'evtx-attack-samples': 'evtx-attack-samples/derived/all_events.xml.gz',
  'sigma-regression-data': 'sigma-regression-data/derived/regression_data_all_events.xml',
  'omerbenamram-evtx': 'omerbenamram-evtx/derived/sysmon_all_events.xml',
}
/** The one sample made to be damaged: its errors are expected. */
const DAMAGED = 'omerbenamram-evtx/samples/sample_with_a_bad_chunk_magic.evtx'

/** libevtx pads hexadecimal values to 16 digits; Windows (and this reader) do not. */
const unpadded = (v: unknown): unknown => (typeof v === 'string' ? v.replace(/^0x0+(?=[0-9a-f])/, '0x') : v)
const comparable = (item: Extract<IngestItem, { kind: 'event' }>) => ({ source: item.source, event: Object.fromEntries(Object.entries(item.event).map(([k, v]) => [k, unpadded(v)])) })

describe.skipIf(!present)('the real EVTX files of the shared datasets', () => {
  const rows = present ? evtxRows() : []

  it('are there (the test would prove nothing without them)', () => {
    expect(rows.length).toBeGreaterThan(400)
  })

  it.each(Object.keys(DERIVED))('%s: record counts as in MANIFEST.tsv, and every process creation equal to its XML rendering', async (dataset) => {
    let text = readFileSync(SHARED_DATASETS + DERIVED[dataset]!)
    if (DERIVED[dataset]!.endsWith('.gz')) text = gunzipSync(text)
    const reference = new Map<string, ReturnType<typeof comparable>>()
    for (const item of await readAll(text)) if (item.kind === 'event' && item.key !== null) reference.set(item.key, comparable(item))
    let compared = 0
    for (const row of rows.filter((r) => r.file.startsWith(`${dataset}/`))) {
      const items = await readAll(readFileSync(SHARED_DATASETS + row.file), {}, [65536])
      const errors = items.filter((i) => i.kind === 'error')
      if (row.file === DAMAGED) expect(errors.length, row.file).toBeGreaterThan(0)
      else expect(errors, row.file).toEqual([])
      const found = items.filter((i) => i.kind === 'event')
      if (row.file !== DAMAGED && !row.countFailed) {
        expect(items.length, row.file).toBe(row.events)
        expect(found.length, row.file).toBe(row.processEvents)
      }
      for (const item of found) {
        expect(comparable(item), `${row.file} ${item.key}`).toEqual(reference.get(item.key!))
        compared++
      }
    }
    expect(compared).toBeGreaterThan(100)
  })
})
