import fc from 'fast-check'
import { StrictEventParser } from '../../../../src/ingest/xml/strict-path.js'
import type { WinEventView } from '../../../../src/ingest/win-event-view.js'

/**
 * Generators of Windows XML events with hostile values (entities, character references, quotes,
 * backslashes, unicode, empty and self-closing Data), and the strict parse used as the oracle.
 */

const NS = 'http://schemas.microsoft.com/win/2004/08/events/event'

/** One character of a value and how it is written: as is, or as a character reference. */
type Piece = [char: string, style: 'raw' | 'dec' | 'hex']

const special = fc.constantFrom('&', '<', '>', '"', "'", '\\', ' ', '\t', '\n', '\r', ']', '-', '/', '=', ';', '#', '®', 'é', '日', '\u{1F600}')
const char = fc.oneof(special, fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 1 }), fc.string({ unit: 'grapheme-composite', minLength: 1, maxLength: 1 }))
const piece: fc.Arbitrary<Piece> = fc.tuple(char, fc.constantFrom<Piece[1]>('raw', 'raw', 'raw', 'dec', 'hex'))
export const value = fc.array(piece, { maxLength: 12 })

export const decode = (v: Piece[]): string => v.map(([c]) => c).join('')

/** Renders a value for text content or an attribute quoted with `quote`. */
export function render(v: Piece[], quote: string | null): string {
  let out = ''
  for (const [c, style] of v) {
    const cp = c.codePointAt(0)!
    if (style === 'dec') out += `&#${cp};`
    else if (style === 'hex') out += `&#x${cp.toString(16)};`
    else if (c === '&') out += '&amp;'
    else if (c === '<') out += '&lt;'
    else if (c === '>' && out.endsWith(']]')) out += '&gt;'
    else if (c === '\n') out += '&#10;'
    else if (c === '\r') out += '&#13;'
    else if (quote !== null && c === quote) out += quote === '"' ? '&quot;' : '&apos;'
    else out += c
  }
  return out
}

export interface GeneratedEvent {
  quote: "'" | '"'
  eventId: string
  channel: string
  computer: Piece[]
  recordId: string
  userId: Piece[] | null
  systemTime: string
  data: { name: Piece[]; value: Piece[] | null }[]
  emptyEventData: boolean
}

export const generatedEvent: fc.Arbitrary<GeneratedEvent> = fc.record({
  quote: fc.constantFrom<"'" | '"'>("'", '"'),
  eventId: fc.oneof(fc.constant('1'), fc.constant('4688'), fc.nat(70000).map(String)),
  channel: fc.constantFrom('Microsoft-Windows-Sysmon/Operational', 'Security', 'System'),
  computer: value,
  recordId: fc.nat().map(String),
  userId: fc.option(value),
  systemTime: fc.date({ min: new Date(Date.UTC(2000, 0, 1)), max: new Date(Date.UTC(2099, 0, 1)), noInvalidDate: true }).map((d) => d.toISOString()),
  data: fc.array(fc.record({ name: value, value: fc.option(value) }), { maxLength: 6 }),
  emptyEventData: fc.boolean(),
})

export function renderEvent(e: GeneratedEvent): string {
  const q = e.quote
  const security = e.userId === null ? '<Security/>' : `<Security UserID=${q}${render(e.userId, q)}${q}/>`
  const system =
    `<System><Provider Name=${q}P${q} Guid=${q}{5770385F-C22A-43E0-BF4C-06F5698FFBD9}${q}/><EventID>${e.eventId}</EventID><Version>5</Version>` +
    `<Keywords>0x8000000000000000</Keywords><TimeCreated SystemTime=${q}${e.systemTime}${q}/><EventRecordID>${e.recordId}</EventRecordID><Correlation/>` +
    `<Execution ProcessID=${q}1${q} ThreadID=${q}2${q}/><Channel>${e.channel}</Channel><Computer>${render(e.computer, null)}</Computer>${security}</System>`
  const data = e.data
    .map(({ name, value: v }) => `<Data Name=${q}${render(name, q)}${q}${v === null ? '/>' : `>${render(v, null)}</Data>`}`)
    .join('')
  const eventData = data === '' && e.emptyEventData ? '<EventData/>' : `<EventData>${data}</EventData>`
  return `<Event xmlns=${q}${NS}${q}>${system}${eventData}</Event>`
}

/** What the reader must extract from a generated event (first Data of a name wins). */
export function expectedRecord(e: GeneratedEvent): Record<string, unknown> {
  const data = new Map<string, string>()
  for (const d of e.data) {
    const name = decode(d.name)
    if (!data.has(name)) data.set(name, d.value === null ? '' : decode(d.value))
  }
  return {
    eventId: e.eventId, channel: e.channel, computer: decode(e.computer), recordId: e.recordId, keywords: '0x8000000000000000', provider: 'P',
    systemTime: e.systemTime, userId: e.userId === null ? null : decode(e.userId), data: [...data],
  }
}

/** A record of either path as plain data: the WinEventView fields, and the Data entries in document order. */
export const plain = (r: WinEventView & { data: Iterable<[string, string]> }): Record<string, unknown> => ({
  eventId: r.eventId, channel: r.channel, computer: r.computer, recordId: r.recordId, keywords: r.keywords, provider: r.provider,
  systemTime: r.systemTime, userId: r.userId, data: [...r.data],
})

const strict = new StrictEventParser()

/** The oracle: saxes over one line. */
export function parseStrict(line: string): { records: Record<string, unknown>[]; error: string | null } {
  strict.begin(1, 0)
  strict.write(line, 1, 0)
  strict.finish()
  return { records: strict.events.map((e) => plain(e.record)), error: strict.error?.message ?? null }
}
