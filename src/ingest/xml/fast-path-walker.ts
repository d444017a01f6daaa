import { textAt } from './fast-path-line-scan.js'
import { SYSTEM_ATTRS, SYSTEM_TEXT } from './win-event.js'

/*
 * The fast path's validating walker (fast-path.ts explains the two stages): it reads one event
 * with indexOf, checks every construct it accepts, and records in `trace` the value slots and
 * which System field or Data name each one fills, for the templates (fast-path-templates.ts).
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
export const FIELDS = ['eventId', 'channel', 'computer', 'recordId', 'keywords', 'provider', 'systemTime', 'userId'] as const
export const FIELD_COUNT = FIELDS.length
export const EVENT_ID = 0
export const CHANNEL = 1
const TEXT_FIELD: ReadonlyMap<string, number> = new Map(Object.entries(SYSTEM_TEXT).map(([element, key]) => [element, FIELDS.indexOf(key)]))
const ATTR_FIELD: ReadonlyMap<string, number> = new Map(
  Object.entries(SYSTEM_ATTRS).flatMap(([element, attrs]) => Object.entries(attrs).map(([attr, key]) => [`${element} ${attr}`, FIELDS.indexOf(key)] as const)),
)

const LT = 60
const GT = 62
const SLASH = 47
const SPACE = 32
const EQ = 61
const QUOT = 34
const APOS = 39

const isNameChar = (c: number): boolean => (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || (c >= 48 && c <= 57)

/** Slot kinds: text content (ends at `<`) or an attribute value (ends at its quote). */
export const TEXT = 0
export const IN_APOS = 1
export const IN_QUOT = 2

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

export const trace = new Trace()

/* The walker: `<Event xmlns=…><System>…</System>` and `[<EventData>…</EventData>]</Event>`. */

export function walkSystemSegment(s: string, p: number): number {
  if (!s.startsWith('<Event xmlns=', p)) return -1
  p += 13
  const q = s.charCodeAt(p)
  if ((q !== APOS && q !== QUOT) || !s.startsWith(NAMESPACE, p + 1)) return -1
  p += 1 + NAMESPACE.length
  if (s.charCodeAt(p) !== q || s.charCodeAt(p + 1) !== GT || !s.startsWith('<System>', p + 2)) return -1
  return walkSystem(s, p + 10)
}

export function walkDataSegment(s: string, p: number): number {
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
