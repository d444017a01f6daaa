import { Buffer } from 'node:buffer'

/**
 * Where the characters of the line being read lie in the input bytes, so that a reader can name
 * the exact bytes an event came from (stored with the event, read back as its raw text). One
 * instance is shared by the line splitter, which sets it before handing each line on, and the
 * readers, which ask it while they handle that line: nothing is allocated per line or event.
 * Positions count bytes of the decompressed input in its own encoding, as error offsets do.
 */
export class LineBytes {
  private text = ''
  private start = 0
  private bytes = 0
  private unit: 1 | 2 = 1
  /** The last position answered on this line (a character index and its byte count from the line's start). */
  private knownIndex = 0
  private knownBytes = 0

  /** The splitter's part: `text` was decoded from `bytes` bytes starting at byte `start`. */
  set(text: string, start: number, bytes: number, unit: 1 | 2): void {
    this.text = text
    this.start = start
    this.bytes = bytes
    this.unit = unit
    this.knownIndex = 0
    this.knownBytes = 0
  }

  /**
   * The byte offset of character `index` (0 to the line's length) of the current line. Cheap for
   * ASCII and UTF-16 lines. A UTF-8 line with other characters is measured from the nearest of its
   * start, its end and the last position asked: readers ask for each event's start and end in
   * order, so a line holding thousands of events (a log saved with no line breaks between its
   * events, a JSON array on one line) is measured about once in all, not once per event.
   */
  at(index: number): number {
    if (this.unit === 2) return this.start + 2 * index
    const t = this.text
    if (this.bytes === t.length) return this.start + index
    const known = this.knownIndex
    const fromKnown = Math.abs(index - known)
    let bytes: number
    if (index <= fromKnown && index <= t.length - index) bytes = Buffer.byteLength(t.slice(0, index))
    else if (t.length - index <= fromKnown) bytes = this.bytes - Buffer.byteLength(t.slice(index))
    else bytes = index >= known ? this.knownBytes + Buffer.byteLength(t.slice(known, index)) : this.knownBytes - Buffer.byteLength(t.slice(index, known))
    this.knownIndex = index
    this.knownBytes = bytes
    return this.start + bytes
  }
}
