/**
 * Finds where a top-level JSON object (or array) ends, line by line, without parsing it: only nesting depth
 * and strings are tracked (`JSON.parse` checks the rest once the object is complete). A JSON
 * string cannot contain a line break, so a line that ends inside a string proves the object is
 * broken; the depth is the only state carried from one line to the next.
 */

const QUOTE = 0x22
const BACKSLASH = 0x5c
const OPEN = 0x7b
const CLOSE = 0x7d
const OPEN_ARRAY = 0x5b
const CLOSE_ARRAY = 0x5d

export class JsonFramer {
  private depth = 0
  /** True when the last `scan` stopped at the end of the line inside a string. */
  inString = false

  reset(): void {
    this.depth = 0
    this.inString = false
  }

  /**
   * Scans `text` from `from` (the object's `{` on its first line, else 0) and returns the index
   * just after the `}` that closes the object, or -1 when the line ends first.
   */
  scan(text: string, from: number): number {
    let depth = this.depth
    const n = text.length
    for (let i = from; i < n; i++) {
      const c = text.charCodeAt(i)
      if (c === QUOTE) {
        i = closingQuote(text, i)
        if (i < 0) {
          this.depth = depth
          this.inString = true
          return -1
        }
      } else if (c === OPEN || c === OPEN_ARRAY) depth++
      else if ((c === CLOSE || c === CLOSE_ARRAY) && --depth === 0) {
        this.depth = 0
        this.inString = false
        return i + 1
      }
    }
    this.depth = depth
    this.inString = false
    return -1
  }
}

/** The index of the quote that closes the string opening at `open`, or -1 if the line ends first. */
export function closingQuote(text: string, open: number): number {
  for (let q = text.indexOf('"', open + 1); q >= 0; q = text.indexOf('"', q + 1)) {
    let b = q - 1
    while (text.charCodeAt(b) === BACKSLASH) b--
    if ((q - 1 - b) % 2 === 0) return q
  }
  return -1
}
