import { describe, expect, it } from 'vitest'
import { type IngestItem } from '../../../src/ingest/index.js'
import { events, fixture, readAll, summary } from './helpers/read.js'

// JSON tools write a whole export as ONE line: `[{…},{…},…]` (jq -c -s, Chainsaw's --json) or
// objects back to back. A line longer than maxLineBytes is read in pieces cut where an element of
// its top-level array (or a top-level object) ends — found by following strings and nesting, so
// brackets, braces, quotes and end tags inside strings never cut it — and every event comes out as
// the same objects one per line would give, each with the bytes of its own text.

/** Room for the longest object and then some: a long line gets several pieces. */
const MAX = 6000

const fdr = (pid: number) => ({
  event_simpleName: 'ProcessRollup2',
  event_platform: 'Win',
  timestamp: String(1773479600000 + pid),
  aid: 'a1',
  TargetProcessId: String(pid),
  // Strings that hold what the cutter must not take for structure, and multi-byte characters.
  CommandLine: `cmd.exe /c echo "}],[{" \\ </Event> ${'é€😀'.repeat(pid % 5)} ${pid}`,
  ImageFileName: `\\Device\\HarddiskVolume3\\x\\p${pid}.exe`,
})
/** evtx_dump objects of the fixture (Sysmon and 4688 in their Windows rendering). */
function evtxDumpObjects(): unknown[] {
  const stream = fixture('json/evtx-dump.json').toString('utf8')
  return stream.split(/\n(?=\{)|(?<=^\})(?=\{)/m).map((o) => JSON.parse(o) as unknown)
}
const OBJECTS: unknown[] = [...Array.from({ length: 60 }, (_, i) => fdr(i + 1)), ...evtxDumpObjects()]

type EventItem = Extract<IngestItem, { kind: 'event' }>
const comparable = (found: EventItem[]) => found.map((e) => ({ source: e.source, key: e.key, event: e.event }))
const notEvents = (items: IngestItem[]) => items.filter((i) => i.kind === 'error').map((i) => (i.kind === 'error' ? i.message : ''))

async function readOnePerLine(objects: unknown[]): Promise<EventItem[]> {
  const items = await readAll(`${objects.map((o) => JSON.stringify(o)).join('\n')}\n`)
  expect(notEvents(items)).toEqual([])
  return events(items)
}

/** Each event's bytes, parsed on their own, are the object it came from. */
function expectOwnBytes(input: Buffer, found: EventItem[], encoding: 'utf8' | 'utf16le' = 'utf8'): void {
  for (const item of found) {
    const raw = input.subarray(item.rawOffset, item.rawOffset + item.rawLength).toString(encoding)
    expect(raw.startsWith('{') && raw.endsWith('}')).toBe(true)
    expect(comparable([item])[0]!.key).toBeTruthy()
    expect(() => JSON.parse(raw)).not.toThrow()
  }
}

describe('a JSON line longer than maxLineBytes', () => {
  it.each([
    ['an array, compact (jq -c -s)', (o: unknown[]) => JSON.stringify(o)],
    ['an array with spaces after commas', (o: unknown[]) => `[ ${o.map((x) => JSON.stringify(x)).join(', ')} ]`],
    ['objects back to back', (o: unknown[]) => o.map((x) => JSON.stringify(x)).join('')],
    ['objects separated by spaces', (o: unknown[]) => o.map((x) => JSON.stringify(x)).join(' ')],
  ])('%s: every event is read, on line 1, as one object per line would be, each with its own bytes', async (_, join) => {
    const reference = await readOnePerLine(OBJECTS)
    const input = Buffer.from(`${join(OBJECTS)}\r\n${JSON.stringify(OBJECTS[0])}\n`)
    expect(input.length).toBeGreaterThan(10 * MAX)
    for (const sizes of [[], [1000], [7, 4093], [65536]]) {
      const items = await readAll(input, { maxLineBytes: MAX }, sizes)
      expect(notEvents(items)).toEqual([])
      const found = events(items)
      expect(comparable(found)).toEqual(comparable([...reference, reference[0]!]))
      expect(found.map((e) => e.line)).toEqual([...reference.map(() => 1), 2])
      expectOwnBytes(input, found)
    }
  })

  it('in an upload declared ndjson too, and in UTF-16 with a byte-order mark', async () => {
    const reference = await readOnePerLine(OBJECTS)
    const text = `${JSON.stringify(OBJECTS)}\r\n`
    expect(comparable(events(await readAll(text, { maxLineBytes: MAX, format: 'ndjson' }, [1000])))).toEqual(comparable(reference))
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')])
    for (const sizes of [[], [1000], [4094]]) {
      const items = await readAll(utf16, { maxLineBytes: MAX }, sizes)
      expect(notEvents(items)).toEqual([])
      expect(comparable(events(items))).toEqual(comparable(reference))
      expectOwnBytes(utf16, events(items), 'utf16le')
    }
  })

  it('at the default limit (8 MiB): a 10 MB array on one line gives all its events', async () => {
    const many = Array.from({ length: 40_000 }, (_, i) => fdr(i + 1))
    const input = Buffer.from(`${JSON.stringify(many)}\n`)
    expect(input.length).toBeGreaterThan(8 * 1024 * 1024)
    const items = await readAll(input, {}, [1024 * 1024])
    expect(notEvents(items)).toEqual([])
    expect(events(items).map((e) => e.event.process_id)).toEqual(many.map((o) => o.TargetProcessId))
  })

  it('an element longer than maxLineBytes: the elements before it are read, the rest of the line is reported, the next line is read', async () => {
    const huge = { ...fdr(99), CommandLine: 'x'.repeat(2 * MAX) }
    const before = OBJECTS.slice(0, 5)
    const line = JSON.stringify([...before, huge, fdr(100)])
    const input = Buffer.from(`${line}\n${JSON.stringify(fdr(101))}\n`)
    const items = await readAll(input, { maxLineBytes: MAX }, [1000])
    expect(summary(items)).toEqual([
      ...Array(5).fill('1 event crowdstrike'),
      `1 error no JSON object ends in the next ${MAX} bytes of the line (its objects before were read); the rest of the line skipped`,
      '2 event crowdstrike',
    ])
    // Reported where the skipped rest starts: just after the last element read.
    const error = items.find((i) => i.kind === 'error')!
    expect(error.offset).toBe(Buffer.byteLength(JSON.stringify(before).slice(0, -1)))
  })

  it('one object longer than maxLineBytes is not cut inside: the line is reported as too long', async () => {
    const huge = JSON.stringify({ ...fdr(1), CommandLine: '}],{'.repeat(MAX / 2) })
    const items = await readAll(`${huge}\n${JSON.stringify(fdr(2))}\n`, { maxLineBytes: MAX }, [1000])
    expect(summary(items)).toEqual([`1 error line longer than ${MAX} bytes; skipped`, '2 event crowdstrike'])
  })
})
