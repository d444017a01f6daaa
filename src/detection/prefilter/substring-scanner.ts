import { backgroundCount } from './background.js'

/**
 * Which of many needles occur in a text, in one pass whose cost does not depend on the number of
 * needles. Each needle is represented by one short window of it (up to 4 code units, the one least
 * common in ordinary command lines); the scan rolls the last 4 characters into an integer and
 * tests a small bitset per position, and only where a window may occur compares the whole needle
 * at the implied position. The result is exact — a needle is reported iff it occurs — and
 * compares code units, without case folding (callers pass lower-cased text and needles).
 */

/** A needle and the id reported when it occurs. */
export interface Needle {
  readonly text: string
  readonly id: number
}

interface WindowEntry {
  readonly needle: string
  /** Where the window starts inside the needle. */
  readonly offset: number
  readonly id: number
}

/** Longest window. Four 7-bit characters fill 28 bits, so keys stay small integers. */
const MAX_WINDOW = 4
const BITS = 7
const CHAR_MASK = (1 << BITS) - 1
const KEY_MASK = (1 << (BITS * MAX_WINDOW)) - 1
/** Bitset size (bits) per window length; 8 KiB stays in L1 cache. */
const BITSET_LOG2 = 16

/** The last 7-bit value: DEL, and every code unit above it, in window keys (verification is exact). */
const TOP = CHAR_MASK

const slot = (key: number): number => Math.imul(key, 0x9e3779b1) >>> (32 - BITSET_LOG2)

interface WindowTable {
  /** Window length in code units (1..4). */
  readonly length: number
  readonly mask: number
  readonly bits: Int32Array
  readonly entries: Map<number, WindowEntry[]>
}

export class SubstringScanner {
  /** Window tables by length; only lengths some needle uses. */
  private readonly tables: WindowTable[]

  /** Builds the scanner; empty needles are not allowed (they would occur in every text). */
  constructor(needles: readonly Needle[]) {
    const byLength = new Map<number, WindowTable>()
    for (const { text, id } of needles) {
      if (text === '') throw new Error('empty needle')
      const length = Math.min(MAX_WINDOW, text.length)
      const offset = rarestWindow(text, length)
      let table = byLength.get(length)
      if (table === undefined) {
        table = { length, mask: length === MAX_WINDOW ? KEY_MASK : (1 << (BITS * length)) - 1, bits: new Int32Array(1 << (BITSET_LOG2 - 5)), entries: new Map() }
        byLength.set(length, table)
      }
      let key = 0
      for (let i = offset; i < offset + length; i++) key = (key << BITS) | Math.min(TOP, text.charCodeAt(i))
      const s = slot(key)
      table.bits[s >>> 5]! |= 1 << (s & 31)
      const list = table.entries.get(key)
      if (list === undefined) table.entries.set(key, [{ needle: text, offset, id }])
      else list.push({ needle: text, offset, id })
    }
    this.tables = [...byLength.values()]
  }

  /** Calls `visit` with the id of each needle that occurs in `text` (possibly more than once). */
  forEachMatch(text: string, visit: (id: number) => void): void {
    for (const table of this.tables) if (text.length >= table.length) scan(table, text, visit)
  }
}

function scan(table: WindowTable, text: string, visit: (id: number) => void): void {
  const { bits, mask, length } = table
  let h = 0
  for (let i = 0; i < length - 1; i++) h = (h << BITS) | Math.min(TOP, text.charCodeAt(i))
  for (let i = length - 1; i < text.length; i++) {
    h = (h << BITS) | Math.min(TOP, text.charCodeAt(i))
    const key = h & mask
    const s = slot(key)
    if (((bits[s >>> 5]! >>> s) & 1) !== 0) verify(table, key, text, i + 1 - length, visit)
  }
}

/** Checks each needle whose window has `key` and starts at `at` in `text`. */
function verify(table: WindowTable, key: number, text: string, at: number, visit: (id: number) => void): void {
  const entries = table.entries.get(key)
  if (entries === undefined) return
  for (const e of entries) {
    const start = at - e.offset
    if (start >= 0 && text.startsWith(e.needle, start)) visit(e.id)
  }
}

/** Start of the `length`-long window of `text` least common in ordinary command lines (earliest on ties). */
function rarestWindow(text: string, length: number): number {
  let best = 0
  let bestScore = Infinity
  for (let at = 0; at + length <= text.length; at++) {
    let score = 0
    for (let n = length; n >= 2; n--) {
      for (let i = at; i + n <= at + length; i++) score += backgroundCount(text.slice(i, i + n)) * 1000 ** (n - 2)
    }
    if (score < bestScore) {
      best = at
      bestScore = score
    }
  }
  return best
}
