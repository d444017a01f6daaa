import { createReadStream, existsSync, readFileSync } from 'node:fs'
import { basename } from 'node:path'
import { describe, expect, it } from 'vitest'
import { foldIngestItems, newIngestStats, readContentRanges, readEventBatches, type IngestItem } from '../../../src/ingest/index.js'
import { SHARED_DATASETS } from './helpers/read.js'

/**
 * The OTRF Security-Datasets archives of ../shared/datasets, read as published — ZIP archives of
 * one JSON file each — and skipped without that folder. Each gives the events and process
 * creations MANIFEST.tsv counts for it, and its process creations equal, one for one, the same
 * lines kept unmodified in `process_creation_events.ndjson` (located by its index); read back from
 * the archive at their recorded offsets, their bytes are those lines.
 */

const MANIFEST = `${SHARED_DATASETS}MANIFEST.tsv`
const present = existsSync(MANIFEST)
const OTRF = `${SHARED_DATASETS}otrf-security-datasets/`

interface Archive {
  readonly path: string
  readonly events: number
  readonly processEvents: number
}

function archives(): Archive[] {
  const [header, ...rows] = readFileSync(MANIFEST, 'utf8').trim().split('\n')
  const column = (name: string) => header!.split('\t').indexOf(name)
  return rows
    .map((r) => r.split('\t'))
    .filter((c) => c[column('format')]!.startsWith('ZIP'))
    .map((c) => ({ path: c[column('file')]!, events: Number(c[column('events')]), processEvents: Number(c[column('process_creation_events')]) }))
}

/** The index's line range of the dataset whose JSON is named `name`. */
function indexedLines(name: string): { first: number; last: number; sysmon: number; security: number } {
  const rows = readFileSync(`${OTRF}process_creation_events.index.tsv`, 'utf8').trim().split('\n').slice(1)
  const row = rows.map((r) => r.split('\t')).find((c) => basename(c[4]!) === name)
  if (!row) throw new Error(`no index row for ${name}`)
  return { first: Number(row[0]), last: Number(row[1]), sysmon: Number(row[2]), security: Number(row[3]) }
}

async function read(path: string): Promise<IngestItem[]> {
  const items: IngestItem[] = []
  for await (const batch of readEventBatches(createReadStream(path))) items.push(...batch.items)
  return items
}

type EventItem = Extract<IngestItem, { kind: 'event' }>
const eventsOf = (items: IngestItem[]): EventItem[] => items.flatMap((i) => (i.kind === 'event' ? [i] : []))
const comparable = (found: EventItem[]) => found.map((e) => ({ source: e.source, key: e.key, event: e.event }))

describe.skipIf(!present)('ZIP corpus: the OTRF Security-Datasets archives as published', () => {
  const list = present ? archives() : []
  const lines = present ? readFileSync(`${OTRF}process_creation_events.ndjson`, 'utf8').split('\n') : []

  it('finds the 10 archives', () => {
    expect(list).toHaveLength(10)
  })

  it.each(list.map((a) => [basename(a.path), a] as const))('%s: the counts of MANIFEST.tsv, the process creations of the unmodified lines, their bytes read back', async (_, archive) => {
    const items = await read(`${SHARED_DATASETS}${archive.path}`)
    expect(foldIngestItems(newIngestStats(), items)).toMatchObject({ events: archive.events, processEvents: archive.processEvents, errorCount: 0 })
    const found = eventsOf(items)
    // Each archive holds one JSON file; its name finds the same dataset's lines in the index.
    const zip = readFileSync(`${SHARED_DATASETS}${archive.path}`)
    const name = zip.subarray(30, 30 + zip.readUInt16LE(26)).toString('utf8')
    const range = indexedLines(name)
    const expected = lines.slice(range.first - 1, range.last)
    expect(found).toHaveLength(range.sysmon + range.security)
    expect(comparable(found)).toEqual(comparable(eventsOf(await readText(expected.join('\n')))))
    const back = await readContentRanges(createReadStream(`${SHARED_DATASETS}${archive.path}`), found.map((e) => ({ offset: e.rawOffset, length: e.rawLength })))
    expect(back.map((b) => b?.toString('utf8'))).toEqual(expected)
  })
})

async function readText(text: string): Promise<IngestItem[]> {
  const items: IngestItem[] = []
  for await (const batch of readEventBatches((async function* () {
    yield Buffer.from(text)
  })())) items.push(...batch.items)
  return items
}
