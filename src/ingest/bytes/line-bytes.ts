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

  /** The splitter's part: `text` was decoded from `bytes` bytes starting at byte `start`. */
  set(text: string, start: number, bytes: number, unit: 1 | 2): void {
    this.text = text
    this.start = start
    this.bytes = bytes
    this.unit = unit
  }

  /**
   * The byte offset of character `index` (0 to the line's length) of the current line. Cheap for
   * ASCII and UTF-16 lines; a UTF-8 line with other characters measures the shorter side of `index`.
   */
  at(index: number): number {
    if (this.unit === 2) return this.start + 2 * index
    const t = this.text
    if (this.bytes === t.length || index === 0) return this.start + index
    if (index === t.length) return this.start + this.bytes
    return index <= t.length >> 1 ? this.start + Buffer.byteLength(t.slice(0, index)) : this.start + this.bytes - Buffer.byteLength(t.slice(index))
  }
}
