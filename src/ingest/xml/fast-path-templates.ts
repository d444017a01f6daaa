import { detach } from '../detach.js'
import { decodeXmlText } from './entities.js'
import { nextAmp, nextTab } from './fast-path-line-scan.js'
import { FIELD_COUNT, IN_APOS, TEXT, trace, walkDataSegment, walkSystemSegment } from './fast-path-walker.js'

/*
 * The fast path's learned templates (fast-path.ts explains the two stages): matching an event
 * against the shapes seen before, learning a new shape from the walker's trace, and the bounded,
 * most-recently-used caches of both segments.
 */

/** Literal text and value slots: `literals[0] slot[0] literals[1] … slot[n-1] literals[n]`. */
export interface Segment {
  readonly literals: readonly string[]
  readonly kinds: readonly number[]
  /** Per slot: where its value goes (a FIELDS index, or a Data index), or -1 if it is not kept. */
  readonly targets: readonly number[]
}

export interface SystemTemplate extends Segment {
  /** FIELDS values before any slot: `''` for a kept self-closing element (or a specialized value), else null. */
  readonly initial: readonly (string | null)[]
  /**
   * The raw slot values of the event it was learned from (null for one with `&`), until a second
   * event has matched it and a specialized copy was made (then null).
   */
  sample: (string | null)[] | null
}

export interface DataTemplate extends Segment {
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

/** Where the segment just matched ends (the second result of matchSystem and matchData). */
let matchedEnd = 0

/** Where the segment matched last ends. */
export const endOfMatch = (): number => matchedEnd

/** Scratch of matchSegment: each slot's value bounds, and its decoded text if it has entities. */
export const slotFrom: number[] = []
export const slotTo: number[] = []
export const slotDecoded: (string | null)[] = []

/** The System template `s` matches at `p` (its slots in the scratch, `endOfMatch()` after `</System>`), learning it if needed. */
export function matchSystem(s: string, p: number): SystemTemplate | null {
  for (let i = 0; i < systemTemplates.length; i++) {
    const t = systemTemplates[i]!
    const end = matchSegment(s, p, t)
    if (end < 0) continue
    if (i > 0) toFront(systemTemplates, i)
    if (t.sample !== null) specialize(s, t)
    matchedEnd = end
    return t
  }
  trace.reset()
  const end = walkSystemSegment(s, p)
  if (end < 0) return null
  const t = learnSystem(s, p, end)
  remember(systemTemplates, t, MAX_SYSTEM_TEMPLATES)
  // By construction the walked event matches its own template; anything else is declined.
  if (matchSegment(s, p, t) !== end) return null
  matchedEnd = end
  return t
}

/** The Data template of this Channel and EventID that `s` matches at `p`, learning it if needed. */
export function matchData(s: string, p: number, channel: string | null, eventId: string | null): DataTemplate | null {
  let sameKey = 0
  for (let i = 0; i < dataTemplates.length; i++) {
    const t = dataTemplates[i]!
    if (t.eventId !== eventId || t.channel !== channel) continue
    sameKey++
    const end = matchSegment(s, p, t)
    if (end < 0) continue
    if (i > 0) toFront(dataTemplates, i)
    matchedEnd = end
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
  matchedEnd = end
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
  if (!literalAt(s, literals[0]!, p)) return -1
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
    if (!literalAt(s, literal, end)) return -1
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
 * Whether `literal` is in `s` at `p` (`s.startsWith(literal, p)`). V8's startsWith compares
 * character by character; indexOf's search compares a word at a time and stops at the first
 * occurrence, which for a template that fits is `p` itself: measured 2.5x faster for the ~30-character
 * literals between Data values, which made startsWith most of the fast path's time. A literal that
 * does not fit costs a search up to its next occurrence (or the end of the line): templates fail
 * rarely, only where an upload changes shape.
 */
const literalAt = (s: string, literal: string, p: number): boolean => literal === '' || s.indexOf(literal, p) === p

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
  remember(systemTemplates, copy, MAX_SYSTEM_TEMPLATES)
}

/**
 * A flat, internalized copy of `s` (a literal of a cached template): it keeps no input line alive,
 * and it is compared against faster than a sliced string.
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
