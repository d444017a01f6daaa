import { describe, expect, it } from 'vitest'
import { rawEventText, type IngestItem } from '../../../src/ingest/index.js'
import { events, fixture, readAll, summary } from './helpers/read.js'

// wevtutil writes a whole export as ONE line: `<Event …>…</Event><Event …>…</Event>…`. A line
// longer than maxLineBytes is read in pieces cut after an `</Event>` end tag, so every event of it
// comes out, exactly as the same events one per line would, each with the bytes of its own text.

/** The fixture's events, one per line; not its deliberately truncated one (it would swallow the next event of a shared line). */
const fixtureEvents = (path: string): string[] =>
  fixture(path)
    .toString('utf8')
    .split('\n')
    .filter((l) => l.trimEnd().endsWith('</Event>'))
const EVENTS = [...fixtureEvents('sysmon/ngrok-synthetic.xml'), ...fixtureEvents('security-4688/ngrok-synthetic.xml'), ...fixtureEvents('sysmon/escu-example.xml')]
/** Room for the longest event (2,825 bytes) and then some: a long line gets several pieces. */
const MAX = 6000

type EventItem = Extract<IngestItem, { kind: 'event' }>
const comparable = (found: EventItem[]) => found.map((e) => ({ source: e.source, key: e.key, event: e.event }))

async function readEventsOnePerLine(): Promise<EventItem[]> {
  const items = await readAll(`${EVENTS.join('\n')}\n`)
  expect(items.filter((i) => i.kind === 'error')).toEqual([])
  return events(items)
}
/** What is not an event: the fixtures' events of other kinds are skipped, nothing is an error. */
const notEvents = (items: IngestItem[]) => items.filter((i) => i.kind !== 'event').map((i) => (i.kind === 'skipped' ? i.reason : `error: ${i.message}`))
const SKIPPED = ['Sysmon EventID 3 is not a process creation', 'Sysmon EventID 11 is not a process creation', 'Sysmon EventID 3 is not a process creation', 'Security EventID 4624 is not a process creation']

/** Each event's bytes, read again on their own, give the same event. */
async function expectOwnBytes(input: Buffer, found: EventItem[]): Promise<void> {
  for (const item of found) {
    const raw = input.subarray(item.rawOffset, item.rawOffset + item.rawLength)
    expect(rawEventText(raw)).toMatch(/^<Event[\s>][\s\S]*<\/Event>$/)
    expect(comparable(events(await readAll(raw)))).toEqual(comparable([item]))
  }
}

describe('an XML line longer than maxLineBytes', () => {
  it.each([
    ['events back to back', (e: string[]) => e.join('')],
    ['white space between events', (e: string[]) => e.join(' \t ')],
    ['wrapped in <Events> (wevtutil /e:Events)', (e: string[]) => `<Events>${e.join('')}</Events>`],
  ])('%s: every event is read, on line 1, as one per line would be, each with its own bytes', async (_, join) => {
    const reference = await readEventsOnePerLine()
    const input = Buffer.from(`${join(EVENTS)}\r\n${EVENTS[0]}\n`)
    expect(input.length).toBeGreaterThan(10 * MAX)
    for (const sizes of [[], [1000], [7, 4093], [65536]]) {
      const items = await readAll(input, { maxLineBytes: MAX }, sizes)
      expect(notEvents(items)).toEqual(SKIPPED)
      const found = events(items)
      expect(comparable(found)).toEqual(comparable([...reference, reference[0]!]))
      expect(found.map((e) => e.line)).toEqual([...reference.map(() => 1), 2])
      await expectOwnBytes(input, found)
    }
  })

  it('in UTF-16 with a byte-order mark (wevtutil redirected by PowerShell 5): every event is read', async () => {
    const reference = await readEventsOnePerLine()
    const input = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(`${EVENTS.join('')}\r\n`, 'utf16le')])
    for (const sizes of [[], [1000], [4094]]) {
      const items = await readAll(input, { maxLineBytes: MAX }, sizes)
      expect(notEvents(items)).toEqual(SKIPPED)
      expect(comparable(events(items))).toEqual(comparable(reference))
    }
  })

  it('at the default limit (8 MiB): a 10 MB export on one line gives all its events', async () => {
    const copies = Math.ceil((10 * 1024 * 1024) / EVENTS.join('').length)
    const input = Buffer.from(`${EVENTS.join('').repeat(copies)}\n`)
    expect(input.length).toBeGreaterThan(8 * 1024 * 1024)
    const items = await readAll(input, {}, [1024 * 1024])
    expect(notEvents(items)).toEqual(Array.from({ length: copies }, () => SKIPPED).flat())
    expect(events(items)).toHaveLength((EVENTS.length - SKIPPED.length) * copies)
  })

  it('a stretch of maxLineBytes without an event end: the events before it are read, the rest of the line is reported, the next line is read', async () => {
    const endless = EVENTS[0]!.replace("<Data Name='CommandLine'>", `<Data Name='CommandLine'>${'x'.repeat(2 * MAX)}`)
    const input = Buffer.from(`${EVENTS.slice(0, 5).join('')}${endless}${EVENTS[1]}\n${EVENTS[2]}\n`)
    const items = await readAll(input, { maxLineBytes: MAX }, [1000])
    expect(summary(items.filter((i) => i.kind !== 'skipped'))).toEqual([
      ...Array(4).fill('1 event sysmon'),
      `1 error no XML event ends in the next ${MAX} bytes of the line (its events before were read); the rest of the line skipped`,
      '2 event sysmon',
    ])
    const error = items.find((i) => i.kind === 'error')!
    // Reported where the skipped rest starts: at the long event.
    expect(error.offset).toBe(Buffer.byteLength(EVENTS.slice(0, 5).join('')))
  })

  it('a JSON object is never cut, even where a string holds an event end tag (long JSON lines: long-json-lines.test.ts)', async () => {
    const json = `{"event_simpleName":"ProcessRollup2","CommandLine":"${'</Event><Event>'.repeat(MAX / 10)}"}`
    for (const format of ['auto', 'ndjson'] as const) {
      const items = await readAll(`${json}\n${EVENTS[0]}\n`, { maxLineBytes: MAX, ...(format === 'ndjson' ? { format } : {}) }, [1000])
      expect(summary(items)[0]).toBe(`1 error line longer than ${MAX} bytes; skipped`)
      expect(items).toHaveLength(2)
    }
  })
})
