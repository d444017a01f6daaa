import { detach } from '../detach.js'
import type { WinEventView } from '../win-event-view.js'
import { decodeXmlText } from './entities.js'
import { SYSTEM_ATTRS, SYSTEM_TEXT } from './win-event.js'

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

const NAMESPACE = 'http://schemas.microsoft.com/win/2004/08/events/event'

/** Attributes allowed per System child (their order is free; duplicates are rejected). */
const SYSTEM_CHILDREN: ReadonlyMap<string, readonly string[]> = new Map([
  ['Provider', ['Name', 'Guid', 'EventSourceName']],
  ['EventID', ['Qualifiers']],
  ['Version', []],
  ['Level', []],
  ['Task', []],
  ['Opcode', []],
  ['Keywords', []],
  ['TimeCreated', ['SystemTime']],
  ['EventRecordID', []],
  ['Correlation', ['ActivityID', 'RelatedActivityID']],
  ['Execution', ['ProcessID', 'ThreadID', 'ProcessorID', 'SessionID', 'KernelTime', 'UserTime', 'ProcessorTime']],
  ['Channel', []],
  ['Computer', []],
  ['Security', ['UserID']],
])

/** The System values of a record, in slot-target order (see SYSTEM_TEXT / SYSTEM_ATTRS). */
const FIELDS = ['eventId', 'channel', 'computer', 'recordId', 'keywords', 'provider', 'systemTime', 'userId'] as const
const FIELD_COUNT = FIELDS.length
const EVENT_ID = 0
const CHANNEL = 1
const TEXT_FIELD: ReadonlyMap<string, number> = new Map(Object.entries(SYSTEM_TEXT).map(([element, key]) => [element, FIELDS.indexOf(key)]))
const ATTR_FIELD: ReadonlyMap<string, number> = new Map(
  Object.entries(SYSTEM_ATTRS).flatMap(([element, attrs]) => Object.entries(attrs).map(([attr, key]) => [`${element} ${attr}`, FIELDS.indexOf(key)] as const)),
)

/**
 * Characters saxes rejects or rewrites: controls other than tab (CR is rewritten to LF), the
 * non-characters U+FFFE/U+FFFF and lone surrogates. One class scan finds candidates; only a line
 * that has one (typically a valid surrogate pair: an emoji, a rare CJK character) is walked.
 */
const SUSPECT = /[\x00-\x08\x0a-\x1f\ud800-\udfff\ufffe\uffff]/

function hasIllegalChar(s: string): boolean {
  const m = SUSPECT.exec(s)
  if (m === null) return false
  for (let i = m.index; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c < 0x20) {
      if (c !== 0x09) return true
    } else if (c >= 0xd800) {
      if (c >= 0xfffe) return true
      if (c > 0xdfff) continue
      const next = s.charCodeAt(i + 1)
      if (c > 0xdbff || !(next >= 0xdc00 && next <= 0xdfff)) return true
      i++
    }
  }
  return false
}

const LT = 60
const GT = 62
const SLASH = 47
const SPACE = 32
const EQ = 61
const QUOT = 34
const APOS = 39

const isNameChar = (c: number): boolean => (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || (c >= 48 && c <= 57)

/** Slot kinds: text content (ends at `<`) or an attribute value (ends at its quote). */
const TEXT = 0
const IN_APOS = 1
const IN_QUOT = 2

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

/** Literal text and value slots: `literals[0] slot[0] literals[1] … slot[n-1] literals[n]`. */
interface Segment {
  readonly literals: readonly string[]
  readonly kinds: readonly number[]
  /** Per slot: where its value goes (a FIELDS index, or a Data index), or -1 if it is not kept. */
  readonly targets: readonly number[]
}

interface SystemTemplate extends Segment {
  /** FIELDS values before any slot: `''` for a kept self-closing element (or a specialized value), else null. */
  readonly initial: readonly (string | null)[]
  /**
   * The raw slot values of the event it was learned from (null for one with `&`), until a second
   * event has matched it and a specialized copy was made (then null).
   */
  sample: (string | null)[] | null
}

interface DataTemplate extends Segment {
  /** The Channel and EventID of the events this shape was learned from (its lookup key). */
  readonly channel: string | null
  readonly eventId: string | null
  /** Data names in order of first occurrence, and name → index. */
  readonly names: readonly string[]
  readonly index: ReadonlyMap<string, number>
  /** `2 * names.length` zeros: the bounds of names without a slot (self-closing, `''`). */
  readonly zeros: readonly number[]
}

const MAX_SYSTEM_TEMPLATES = 8
const MAX_DATA_TEMPLATES = 64
/** Shapes kept per Channel/EventID (Sysmon schema versions, hosts with different settings). */
const MAX_DATA_TEMPLATES_PER_KEY = 4

/** Most recently used first. */
const systemTemplates: SystemTemplate[] = []
const dataTemplates: DataTemplate[] = []

/** Forgets the learned shapes (tests: the walker runs again for every shape). */
export function clearFastPathTemplates(): void {
  systemTemplates.length = 0
  dataTemplates.length = 0
}

/** The number of learned shapes (System segments, Data segments); for tests. */
export function fastPathTemplateCounts(): { system: number; data: number } {
  return { system: systemTemplates.length, data: dataTemplates.length }
}

/**
 * Parses every event of a trimmed line, or returns `null` if the line is not in the regular shape.
 * With `ends`, it is filled with the index just after each event's `</Event>` (events follow one
 * another with nothing between them, so event k spans `ends[k-1]` (or 0) to `ends[k]`).
 */
export function parseRegularLine(s: string, ends?: number[]): FastWinEvent[] | null {
  if (hasIllegalChar(s) || s.includes(']]>')) return null
  nextAmp.reset()
  nextTab.reset()
  const out: FastWinEvent[] = []
  if (ends !== undefined) ends.length = 0
  let p = 0
  while (p < s.length) {
    const record = parseEvent(s, p)
    if (record === null) return null
    p = eventEnd
    out.push(record)
    ends?.push(p)
  }
  return out
}

/*
 * The first `&` and tab at or after a position of the current line. Each is remembered with the
 * position it was searched from, so scanning the line for them is linear however many values it
 * has, and still right when a retry reads the line again from an earlier position.
 */
class NextIndexOf {
  private from = 0
  private at = -1

  constructor(private readonly char: string) {}

  /** Forgets the previous line. */
  reset(): void {
    this.from = 0
    this.at = -1
  }

  /** Index of the first `char` at or after `from` in `s` (the current line), or `s.length`. */
  in(s: string, from: number): number {
    if (from < this.from || from > this.at) {
      this.from = from
      this.at = s.indexOf(this.char, from)
      if (this.at < 0) this.at = s.length
    }
    return this.at
  }
}

const nextAmp = new NextIndexOf('&')
const nextTab = new NextIndexOf('\t')

/** The text of `s[from, to)` with entities decoded, or null if one is not provably well-formed. */
function textAt(s: string, from: number, to: number): string | null {
  return nextAmp.in(s, from) >= to ? s.slice(from, to) : decodeXmlText(s, from, to)
}

/** Where the event just parsed ends (parseEvent's second result). */
let eventEnd = 0

/** Scratch of matchSegment: each slot's value bounds, and its decoded text if it has entities. */
const slotFrom: number[] = []
const slotTo: number[] = []
const slotDecoded: (string | null)[] = []
const systemValues: (string | null)[] = new Array<string | null>(FIELD_COUNT).fill(null)

function parseEvent(s: string, p: number): FastWinEvent | null {
  const system = matchSystem(s, p)
  if (system === null) return null
  const dataStart = eventEnd
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

/** The System template `s` matches at `p` (its slots in the scratch, `eventEnd` after `</System>`), learning it if needed. */
function matchSystem(s: string, p: number): SystemTemplate | null {
  for (let i = 0; i < systemTemplates.length; i++) {
    const t = systemTemplates[i]!
    const end = matchSegment(s, p, t)
    if (end < 0) continue
    if (i > 0) toFront(systemTemplates, i)
    if (t.sample !== null) specialize(s, t)
    eventEnd = end
    return t
  }
  trace.reset()
  const end = walkSystemSegment(s, p)
  if (end < 0) return null
  const t = learnSystem(s, p, end)
  remember(systemTemplates, t, MAX_SYSTEM_TEMPLATES)
  // By construction the walked event matches its own template; anything else is declined.
  if (matchSegment(s, p, t) !== end) return null
  eventEnd = end
  return t
}

/** The Data template of this Channel and EventID that `s` matches at `p`, learning it if needed. */
function matchData(s: string, p: number, channel: string | null, eventId: string | null): DataTemplate | null {
  let sameKey = 0
  for (let i = 0; i < dataTemplates.length; i++) {
    const t = dataTemplates[i]!
    if (t.eventId !== eventId || t.channel !== channel) continue
    sameKey++
    const end = matchSegment(s, p, t)
    if (end < 0) continue
    if (i > 0) toFront(dataTemplates, i)
    eventEnd = end
    return t
  }
  trace.reset()
  const end = walkDataSegment(s, p)
  if (end < 0) return null
  if (sameKey >= MAX_DATA_TEMPLATES_PER_KEY) {
    // Drop this key's least recently used shape.
    for (let i = dataTemplates.length - 1; i >= 0; i--) {
      if (dataTemplates[i]!.eventId === eventId && dataTemplates[i]!.channel === channel) {
        dataTemplates.splice(i, 1)
        break
      }
    }
  }
  const t = learnData(s, p, end, channel, eventId)
  remember(dataTemplates, t, MAX_DATA_TEMPLATES)
  if (matchSegment(s, p, t) !== end) return null
  eventEnd = end
  return t
}

function toFront<T>(list: T[], i: number): void {
  const t = list[i]!
  for (let j = i; j > 0; j--) list[j] = list[j - 1]!
  list[0] = t
}

function remember<T>(list: T[], t: T, max: number): void {
  list.unshift(t)
  if (list.length > max) list.length = max
}

/**
 * Matches `t` at `p`: returns where it ends, or -1. The slots' values are left in slotFrom/slotTo
 * (and slotDecoded, null for a value without entities).
 */
function matchSegment(s: string, p: number, t: Segment): number {
  const literals = t.literals
  const kinds = t.kinds
  if (!s.startsWith(literals[0]!, p)) return -1
  p += literals[0]!.length
  for (let i = 0; i < kinds.length; i++) {
    const kind = kinds[i]!
    let end: number
    if (kind === TEXT) {
      end = s.indexOf('<', p)
      if (end < 0) return -1
    } else {
      end = s.indexOf(kind === IN_APOS ? "'" : '"', p)
      if (end < 0) return -1
      // `<` is illegal in an attribute value; saxes turns a literal tab into a space, which the walker does not mirror.
      const lt = s.indexOf('<', p)
      if ((lt >= 0 && lt < end) || nextTab.in(s, p) < end) return -1
    }
    const literal = literals[i + 1]!
    if (!s.startsWith(literal, end)) return -1
    if (nextAmp.in(s, p) < end) {
      const d = decodeXmlText(s, p, end)
      if (d === null) return -1
      slotDecoded[i] = d
    } else slotDecoded[i] = null
    slotFrom[i] = p
    slotTo[i] = end
    p = end + literal.length
  }
  return p
}

/**
 * What the walker saw: value slots (bounds and kind) and, in document order, the values kept
 * (a FIELDS index or a Data name, from a slot or `''` for a self-closing element).
 */
class Trace {
  bounds: number[] = []
  kinds: number[] = []
  keys: (number | string)[] = []
  sources: number[] = []

  reset(): void {
    this.bounds.length = 0
    this.kinds.length = 0
    this.keys.length = 0
    this.sources.length = 0
  }

  /** A value at `[from, to)`; returns its slot index. */
  slot(from: number, to: number, kind: number): number {
    this.bounds.push(from, to)
    return this.kinds.push(kind) - 1
  }

  /** `key` gets the value of `slot` (-1: `''`) unless an earlier one set it (first wins). */
  keep(key: number | string, slot: number): void {
    this.keys.push(key)
    this.sources.push(slot)
  }
}

const trace = new Trace()

function literalsOf(s: string, start: number, end: number): string[] {
  const literals: string[] = []
  let last = start
  for (let i = 0; i < trace.kinds.length; i++) {
    literals.push(flat(s.slice(last, trace.bounds[2 * i])))
    last = trace.bounds[2 * i + 1]!
  }
  literals.push(flat(s.slice(last, end)))
  return literals
}

/**
 * After `t`'s second match (the slots of this event in the scratch): a copy of `t` in which every
 * slot whose value is the same as in the first event is literal text, its value (if kept) an
 * initial value. System values mostly repeat (provider, EventID, level, task, keywords, channel,
 * UserID…), so events then match with a few slots instead of fifteen. Equivalent to `t` for the
 * events it matches: a merged value has no `<`, quote, tab or `&`, so in `t` it would end at the
 * same place and read the same. If values vary, `t` itself stays first in the most-recently-used
 * order and the copy is not tried.
 */
function specialize(s: string, t: SystemTemplate): void {
  const sample = t.sample!
  t.sample = null
  const literals = [t.literals[0]!]
  const kinds: number[] = []
  const targets: number[] = []
  const initial = [...t.initial]
  let merged = 0
  for (let i = 0; i < t.kinds.length; i++) {
    const value = sample[i]
    const from = slotFrom[i]!
    if (value !== null && value !== undefined && slotTo[i]! - from === value.length && s.startsWith(value, from)) {
      merged++
      if (t.targets[i]! >= 0) initial[t.targets[i]!] = value
      literals[literals.length - 1] += value + t.literals[i + 1]!
    } else {
      kinds.push(t.kinds[i]!)
      targets.push(t.targets[i]!)
      literals.push(t.literals[i + 1]!)
    }
  }
  if (merged === 0) return
  const copy: SystemTemplate = { literals: literals.map(flat), kinds, targets, initial, sample: null }
  systemTemplates.unshift(copy)
  if (systemTemplates.length > MAX_SYSTEM_TEMPLATES) systemTemplates.length = MAX_SYSTEM_TEMPLATES
}

/**
 * A flat, internalized copy of `s` (a literal of a cached template): it keeps no input line alive,
 * and startsWith compares against it faster than against a sliced string.
 */
const flat = (s: string): string => Object.keys({ [s]: 0 })[0]!

function learnSystem(s: string, start: number, end: number): SystemTemplate {
  const targets = new Array<number>(trace.kinds.length).fill(-1)
  const initial = new Array<string | null>(FIELD_COUNT).fill(null)
  const set = new Array<boolean>(FIELD_COUNT).fill(false)
  for (let i = 0; i < trace.keys.length; i++) {
    const f = trace.keys[i] as number
    if (set[f]) continue
    set[f] = true
    const slot = trace.sources[i]!
    if (slot < 0) initial[f] = ''
    else targets[slot] = f
  }
  const sample = trace.kinds.map((_, i) => {
    const value = s.slice(trace.bounds[2 * i], trace.bounds[2 * i + 1])
    return value.includes('&') ? null : detach(value)
  })
  return { literals: literalsOf(s, start, end), kinds: [...trace.kinds], targets, initial, sample }
}

function learnData(s: string, start: number, end: number, channel: string | null, eventId: string | null): DataTemplate {
  const targets = new Array<number>(trace.kinds.length).fill(-1)
  const names: string[] = []
  const index = new Map<string, number>()
  for (let i = 0; i < trace.keys.length; i++) {
    const name = trace.keys[i] as string
    if (index.has(name)) continue
    const copy = detach(name)
    index.set(copy, names.push(copy) - 1)
    const slot = trace.sources[i]!
    if (slot >= 0) targets[slot] = names.length - 1
  }
  return {
    literals: literalsOf(s, start, end),
    kinds: [...trace.kinds],
    targets,
    channel: channel === null ? null : detach(channel),
    eventId: eventId === null ? null : detach(eventId),
    names,
    index,
    zeros: new Array<number>(2 * names.length).fill(0),
  }
}

/* The walker: `<Event xmlns=…><System>…</System>` and `[<EventData>…</EventData>]</Event>`. */

function walkSystemSegment(s: string, p: number): number {
  if (!s.startsWith('<Event xmlns=', p)) return -1
  p += 13
  const q = s.charCodeAt(p)
  if ((q !== APOS && q !== QUOT) || !s.startsWith(NAMESPACE, p + 1)) return -1
  p += 1 + NAMESPACE.length
  if (s.charCodeAt(p) !== q || s.charCodeAt(p + 1) !== GT || !s.startsWith('<System>', p + 2)) return -1
  return walkSystem(s, p + 10)
}

function walkDataSegment(s: string, p: number): number {
  if (s.startsWith('<EventData>', p)) p = walkEventData(s, p + 11)
  else if (s.startsWith('<EventData/>', p)) p += 12
  if (p < 0 || !s.startsWith('</Event>', p)) return -1
  return p + 8
}

function walkSystem(s: string, p: number): number {
  for (;;) {
    if (s.charCodeAt(p) !== LT) return -1
    if (s.charCodeAt(p + 1) === SLASH) return s.startsWith('</System>', p) ? p + 9 : -1
    let e = p + 1
    while (isNameChar(s.charCodeAt(e))) e++
    const name = s.slice(p + 1, e)
    const allowed = SYSTEM_CHILDREN.get(name)
    if (allowed === undefined) return -1
    p = walkAttributes(s, e, name, allowed)
    if (p < 0) return -1
    const field = TEXT_FIELD.get(name)
    if (s.charCodeAt(p) === SLASH) {
      if (s.charCodeAt(p + 1) !== GT) return -1
      if (field !== undefined) trace.keep(field, -1)
      p += 2
      continue
    }
    p++ // past '>'
    const lt = s.indexOf('<', p)
    if (lt < 0 || s.charCodeAt(lt + 1) !== SLASH || !s.startsWith(name, lt + 2) || s.charCodeAt(lt + 2 + name.length) !== GT) return -1
    if (textAt(s, p, lt) === null) return -1
    const slot = trace.slot(p, lt, TEXT)
    if (field !== undefined) trace.keep(field, slot)
    p = lt + 3 + name.length
  }
}

/** Reads ` Name='v'` pairs up to `>` or `/>` (the returned position). */
function walkAttributes(s: string, p: number, element: string, allowed: readonly string[]): number {
  let seen = 0
  while (s.charCodeAt(p) === SPACE) {
    let e = p + 1
    while (isNameChar(s.charCodeAt(e))) e++
    let index = allowed.length - 1
    while (index >= 0 && !(allowed[index]!.length === e - p - 1 && s.startsWith(allowed[index]!, p + 1))) index--
    if (index < 0 || seen & (1 << index) || s.charCodeAt(e) !== EQ) return -1
    seen |= 1 << index
    const end = quotedEnd(s, e + 1)
    if (end < 0 || textAt(s, e + 2, end) === null) return -1
    const slot = trace.slot(e + 2, end, s.charCodeAt(e + 1) === APOS ? IN_APOS : IN_QUOT)
    const field = ATTR_FIELD.get(`${element} ${allowed[index]!}`)
    if (field !== undefined) trace.keep(field, slot)
    p = end + 1
  }
  return s.charCodeAt(p) === GT || s.charCodeAt(p) === SLASH ? p : -1
}

/** The index of the quote closing the attribute value that opens at `p`, or -1 if irregular. */
function quotedEnd(s: string, p: number): number {
  const q = s.charCodeAt(p)
  if (q !== APOS && q !== QUOT) return -1
  const end = s.indexOf(q === APOS ? "'" : '"', p + 1)
  if (end < 0) return -1
  for (let i = p + 1; i < end; i++) {
    const c = s.charCodeAt(i)
    // `<` is illegal here; saxes turns a literal tab into a space, which is not worth mirroring.
    if (c === LT || c === 9) return -1
  }
  return end
}

function walkEventData(s: string, p: number): number {
  for (;;) {
    if (s.startsWith('</EventData>', p)) return p + 12
    if (!s.startsWith('<Data Name=', p)) return -1
    const end = quotedEnd(s, p + 11)
    const name = end < 0 ? null : textAt(s, p + 12, end)
    if (name === null) return -1
    p = end + 1
    if (s.charCodeAt(p) === SLASH) {
      if (s.charCodeAt(p + 1) !== GT) return -1
      trace.keep(name, -1)
      p += 2
      continue
    }
    if (s.charCodeAt(p) !== GT) return -1
    const lt = s.indexOf('<', p + 1)
    if (lt < 0 || !s.startsWith('</Data>', lt)) return -1
    if (textAt(s, p + 1, lt) === null) return -1
    trace.keep(name, trace.slot(p + 1, lt, TEXT))
    p = lt + 7
  }
}
