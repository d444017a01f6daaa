import type { WinEventView } from '../win-event-view.js'
import { hasIllegalChar, startLineScan } from './fast-path-line-scan.js'
import { endOfMatch, matchData, matchSystem, slotDecoded, slotFrom, slotTo, type DataTemplate } from './fast-path-templates.js'
import { CHANNEL, EVENT_ID, FIELD_COUNT } from './fast-path-walker.js'

/**
 * The fast path for the regular XmlWinEventLog shape: one `<Event>` per line, no whitespace
 * between tags, known System children, `<Data Name='X'>`. Anything else (CDATA, comments, PIs,
 * unknown elements or attributes, nesting, odd spacing) makes it return `null` and the line goes
 * to saxes, which reads it or reports the error.
 *
 * Two stages. The **walker** reads an event with indexOf and checks every construct it accepts
 * (tag names, attribute lists, entities, characters), so whatever it accepts is well-formed XML.
 * It does not build a record: it cuts the event into literal text and value slots (text content,
 * attribute values), which become a **template**. Every event is then read by matching a
 * template: per slot, the value runs to the next `<` (text) or closing quote (attribute), and the
 * literal that follows must be there verbatim. A value satisfies the same constraints the walker
 * checks for a value in that place (no `<`; in an attribute no tab and not the quote; entities
 * provably well-formed; and the whole line has no illegal character and no `]]>`), and the
 * walker's decisions depend only on the literal text and on where values end, so a matched event
 * is one the walker accepts, with the same structure: only the values differ. Uploads repeat a
 * few shapes, so nearly every event is a match: about two indexOf/startsWith calls per value,
 * no per-event names and no slices of values nobody reads.
 *
 * A template is two segments: `<Event …><System>…</System>` (few distinct ones: per provider)
 * and the rest, `<EventData>…</EventData></Event>`, looked up by the event's Channel and EventID
 * (Sysmon and Security events share System shapes but not Data lists). A mismatch falls back to
 * the walker, which learns the new shape or declines the line. The caches are bounded, and their
 * literals are copies (they never keep an input line alive).
 *
 * Records keep the System values the normalizers use as strings, and `<Data>` values as offsets
 * into the line: `data.get(name)` slices (or returns the decoded text of a value with entities)
 * on demand. A record therefore holds its line until it is dropped; the reader normalizes each
 * record at once, and the normalizers copy what they keep (`detach`).
 */

export { clearFastPathTemplates, fastPathTemplateCounts } from './fast-path-templates.js'

/**
 * A record from the fast path: the System values as strings, the Data values read on demand.
 * Its own enumerable properties are exactly the WinEventView fields, as for the strict path.
 */
export class FastWinEvent implements WinEventView {
  constructor(
    public eventId: string | null,
    public channel: string | null,
    public computer: string | null,
    public recordId: string | null,
    public keywords: string | null,
    public provider: string | null,
    public systemTime: string | null,
    public userId: string | null,
    public data: FastEventData,
  ) {}
}

/**
 * The `<Data>` values of one event: first occurrence of each name wins, `''` for an empty or
 * self-closing element, in document order when iterated (like the strict path's Map).
 */
export class FastEventData implements Iterable<[string, string]> {
  constructor(
    private readonly line: string,
    private readonly shape: DataTemplate,
    /** Start and end in `line` of each name's value (indexed as `shape.names`). */
    private readonly bounds: number[],
    /** Values with entities, decoded while matching (sparse; null when there were none). */
    private readonly decoded: (string | undefined)[] | null,
  ) {}

  get(name: string): string | undefined {
    const k = this.shape.index.get(name)
    return k === undefined ? undefined : this.at(k)
  }

  get size(): number {
    return this.shape.names.length
  }

  *[Symbol.iterator](): IterableIterator<[string, string]> {
    const names = this.shape.names
    for (let k = 0; k < names.length; k++) yield [names[k]!, this.at(k)]
  }

  private at(k: number): string {
    const d = this.decoded?.[k]
    return d !== undefined ? d : this.line.slice(this.bounds[2 * k], this.bounds[2 * k + 1])
  }
}

/**
 * Parses every event of a trimmed line, or returns `null` if the line is not in the regular shape.
 * With `ends`, it is filled with the index just after each event's `</Event>` (events follow one
 * another with nothing between them, so event k spans `ends[k-1]` (or 0) to `ends[k]`).
 */
export function parseRegularLine(s: string, ends?: number[]): FastWinEvent[] | null {
  if (hasIllegalChar(s) || s.includes(']]>')) return null
  startLineScan()
  const out: FastWinEvent[] = []
  if (ends !== undefined) ends.length = 0
  let p = 0
  while (p < s.length) {
    const record = parseEvent(s, p)
    if (record === null) return null
    p = endOfMatch()
    out.push(record)
    ends?.push(p)
  }
  return out
}

const systemValues: (string | null)[] = new Array<string | null>(FIELD_COUNT).fill(null)

function parseEvent(s: string, p: number): FastWinEvent | null {
  const system = matchSystem(s, p)
  if (system === null) return null
  const dataStart = endOfMatch()
  const values = systemValues
  for (let f = 0; f < FIELD_COUNT; f++) values[f] = system.initial[f] as string | null
  const targets = system.targets
  for (let i = 0; i < targets.length; i++) {
    const f = targets[i]!
    if (f >= 0) values[f] = slotDecoded[i] ?? s.slice(slotFrom[i], slotTo[i])
  }
  const shape = matchData(s, dataStart, values[CHANNEL] as string | null, values[EVENT_ID] as string | null)
  if (shape === null) return null
  const bounds = shape.zeros.slice()
  let decoded: (string | undefined)[] | null = null
  const dataTargets = shape.targets
  for (let i = 0; i < dataTargets.length; i++) {
    const k = dataTargets[i]!
    if (k < 0) continue
    bounds[2 * k] = slotFrom[i]!
    bounds[2 * k + 1] = slotTo[i]!
    const d = slotDecoded[i]
    if (d !== null) (decoded ??= [])[k] = d
  }
  const data = new FastEventData(s, shape, bounds, decoded)
  const v = values as readonly (string | null)[] as [string | null, string | null, string | null, string | null, string | null, string | null, string | null, string | null]
  return new FastWinEvent(v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], data)
}
