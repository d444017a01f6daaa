import { decodeXmlText } from './entities.js'
import { newWinEventRecord, setAttr, setData, setText, type WinEventRecord } from './win-event.js'

/**
 * The fast path for the regular XmlWinEventLog shape: one `<Event>` per line, no whitespace
 * between tags, known System children, `<Data Name='X'>`. It walks the line with indexOf and
 * checks every construct it accepts (tag names, attribute lists, entities, characters), so
 * whatever it returns is well-formed XML; anything else (CDATA, comments, PIs, unknown elements
 * or attributes, nesting, odd spacing) makes it return `null` and the line goes to saxes.
 */

const NAMESPACE = 'http://schemas.microsoft.com/win/2004/08/events/event'

/** Attributes allowed per System child (their order is free; duplicates are rejected). */
const SYSTEM_CHILDREN: Readonly<Record<string, readonly string[]>> = {
  Provider: ['Name', 'Guid', 'EventSourceName'],
  EventID: ['Qualifiers'],
  Version: [],
  Level: [],
  Task: [],
  Opcode: [],
  Keywords: [],
  TimeCreated: ['SystemTime'],
  EventRecordID: [],
  Correlation: ['ActivityID', 'RelatedActivityID'],
  Execution: ['ProcessID', 'ThreadID', 'ProcessorID', 'SessionID', 'KernelTime', 'UserTime', 'ProcessorTime'],
  Channel: [],
  Computer: [],
  Security: ['UserID'],
}

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
const TAB = 9
const EQ = 61
const QUOT = 34
const APOS = 39

const isNameChar = (c: number): boolean => (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || (c >= 48 && c <= 57)

/**
 * Parses every event of a trimmed line, or returns `null` if the line is not in the regular shape.
 * With `ends`, it is filled with the index just after each event's `</Event>` (events follow one
 * another with nothing between them, so event k spans `ends[k-1]` (or 0) to `ends[k]`).
 */
export function parseRegularLine(s: string, ends?: number[]): WinEventRecord[] | null {
  if (hasIllegalChar(s) || s.includes(']]>')) return null
  nextAmp = -1
  const out: WinEventRecord[] = []
  if (ends !== undefined) ends.length = 0
  let p = 0
  while (p < s.length) {
    const record = newWinEventRecord()
    p = parseEvent(s, p, record)
    if (p < 0) return null
    out.push(record)
    ends?.push(p)
  }
  return out
}

/**
 * The position of the next `&` at or after the last text read on the current line. Remembering
 * it keeps entity detection linear in the line length instead of one scan per value.
 */
let nextAmp = -1

function textAt(s: string, from: number, to: number): string | null {
  if (nextAmp < from) {
    nextAmp = s.indexOf('&', from)
    if (nextAmp < 0) nextAmp = s.length
  }
  return nextAmp >= to ? s.slice(from, to) : decodeXmlText(s, from, to)
}

function parseEvent(s: string, p: number, record: WinEventRecord): number {
  if (!s.startsWith('<Event xmlns=', p)) return -1
  p += 13
  const q = s.charCodeAt(p)
  if ((q !== APOS && q !== QUOT) || !s.startsWith(NAMESPACE, p + 1)) return -1
  p += 1 + NAMESPACE.length
  if (s.charCodeAt(p) !== q || s.charCodeAt(p + 1) !== GT || !s.startsWith('<System>', p + 2)) return -1
  p = parseSystem(s, p + 10, record)
  if (p < 0) return -1
  if (s.startsWith('<EventData>', p)) p = parseEventData(s, p + 11, record)
  else if (s.startsWith('<EventData/>', p)) p += 12
  if (p < 0 || !s.startsWith('</Event>', p)) return -1
  return p + 8
}

function parseSystem(s: string, p: number, record: WinEventRecord): number {
  for (;;) {
    if (s.charCodeAt(p) !== LT) return -1
    if (s.charCodeAt(p + 1) === SLASH) return s.startsWith('</System>', p) ? p + 9 : -1
    let e = p + 1
    while (isNameChar(s.charCodeAt(e))) e++
    const name = s.slice(p + 1, e)
    const allowed = SYSTEM_CHILDREN[name]
    if (allowed === undefined) return -1
    p = parseAttributes(s, e, name, allowed, record)
    if (p < 0) return -1
    if (s.charCodeAt(p) === SLASH) {
      if (s.charCodeAt(p + 1) !== GT) return -1
      setText(record, name, '')
      p += 2
      continue
    }
    p++ // past '>'
    const lt = s.indexOf('<', p)
    if (lt < 0 || s.charCodeAt(lt + 1) !== SLASH || !s.startsWith(name, lt + 2) || s.charCodeAt(lt + 2 + name.length) !== GT) return -1
    const text = textAt(s, p, lt)
    if (text === null) return -1
    setText(record, name, text)
    p = lt + 3 + name.length
  }
}

/** Reads ` Name='v'` pairs up to `>` or `/>` (the returned position). */
function parseAttributes(s: string, p: number, element: string, allowed: readonly string[], record: WinEventRecord): number {
  let seen = 0
  while (s.charCodeAt(p) === SPACE) {
    let e = p + 1
    while (isNameChar(s.charCodeAt(e))) e++
    let index = allowed.length - 1
    while (index >= 0 && !(allowed[index]!.length === e - p - 1 && s.startsWith(allowed[index]!, p + 1))) index--
    if (index < 0 || seen & (1 << index) || s.charCodeAt(e) !== EQ) return -1
    seen |= 1 << index
    const end = quotedEnd(s, e + 1)
    const value = end < 0 ? null : textAt(s, e + 2, end)
    if (value === null) return -1
    setAttr(record, element, allowed[index]!, value)
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
    if (c === LT || c === TAB) return -1
  }
  return end
}

function parseEventData(s: string, p: number, record: WinEventRecord): number {
  for (;;) {
    if (s.startsWith('</EventData>', p)) return p + 12
    if (!s.startsWith('<Data Name=', p)) return -1
    const end = quotedEnd(s, p + 11)
    const name = end < 0 ? null : textAt(s, p + 12, end)
    if (name === null) return -1
    p = end + 1
    if (s.charCodeAt(p) === SLASH) {
      if (s.charCodeAt(p + 1) !== GT) return -1
      setData(record, name, '')
      p += 2
      continue
    }
    if (s.charCodeAt(p) !== GT) return -1
    const lt = s.indexOf('<', p + 1)
    if (lt < 0 || !s.startsWith('</Data>', lt)) return -1
    const text = textAt(s, p + 1, lt)
    if (text === null) return -1
    setData(record, name, text)
    p = lt + 7
  }
}
