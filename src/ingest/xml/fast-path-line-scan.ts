import { decodeXmlText } from './entities.js'

/*
 * Checks of a whole line and of the values in it, shared by the fast path's walker and its
 * template matching (fast-path.ts explains both).
 */

/**
 * Characters saxes rejects or rewrites: controls other than tab (CR is rewritten to LF), the
 * non-characters U+FFFE/U+FFFF and lone surrogates. One class scan finds candidates; only a line
 * that has one (typically a valid surrogate pair: an emoji, a rare CJK character) is walked.
 */
const SUSPECT = /[\x00-\x08\x0a-\x1f\ud800-\udfff\ufffe\uffff]/

export function hasIllegalChar(s: string): boolean {
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

export const nextAmp = new NextIndexOf('&')
export const nextTab = new NextIndexOf('\t')

/** Forgets the previous line's `&` and tab positions (call before reading a new line). */
export function startLineScan(): void {
  nextAmp.reset()
  nextTab.reset()
}

/** The text of `s[from, to)` with entities decoded, or null if one is not provably well-formed. */
export function textAt(s: string, from: number, to: number): string | null {
  return nextAmp.in(s, from) >= to ? s.slice(from, to) : decodeXmlText(s, from, to)
}
