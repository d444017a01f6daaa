import { Buffer, isUtf8 } from 'node:buffer'
import { firstInvalidUtf8 } from './utf8.js'

/**
 * Cuts a byte stream into lines and decodes each line on its own. Decoding per line (instead of
 * a whole chunk then splitting the string) keeps strings small and one-byte where possible, and
 * was about 4x faster here; it also lets an invalid line be reported alone. Memory is bounded by
 * `maxLineBytes`: the bytes of an over-long line are dropped as they arrive.
 */

export interface LineHandler {
  /** One decoded line, without its `\n` / `\r\n`; the BOM of line 1 is removed. */
  line(text: string, lineNo: number): void
  /** A line that could not be decoded or was too long; its content is gone. */
  unreadable(lineNo: number, message: string): void
}

const NL = 0x0a
const CR = 0x0d

export class LineSplitter {
  private carry: Buffer[] = []
  private carryBytes = 0
  /** True while dropping the rest of an over-long line until its newline. */
  private overlong = false
  private lineNo = 1

  constructor(
    private readonly handler: LineHandler,
    private readonly maxLineBytes: number,
  ) {}

  /** The number of the line the next byte belongs to. */
  get currentLine(): number {
    return this.lineNo
  }

  push(input: Uint8Array): void {
    const chunk = Buffer.isBuffer(input) ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength)
    let pos = 0
    if (this.overlong) {
      const nl = chunk.indexOf(NL)
      if (nl < 0) return
      this.overlong = false
      this.tooLong()
      pos = nl + 1
    }
    if (this.carryBytes > 0) {
      const nl = chunk.indexOf(NL, pos)
      if (nl < 0) return this.stash(chunk, pos, chunk.length)
      if (this.carryBytes + nl - pos > this.maxLineBytes) {
        this.dropCarry()
        this.tooLong()
      } else {
        const line = Buffer.concat([...this.carry, chunk.subarray(pos, nl)])
        this.dropCarry()
        this.emit(line, 0, line.length, false)
      }
      pos = nl + 1
    }
    const last = chunk.lastIndexOf(NL)
    if (last >= pos) {
      // One SIMD validation for the whole region; only a failing region is re-checked per line.
      const valid = isUtf8(chunk.subarray(pos, last))
      while (pos <= last) {
        const nl = chunk.indexOf(NL, pos)
        this.emit(chunk, pos, nl, valid)
        pos = nl + 1
      }
    }
    if (pos < chunk.length) this.stash(chunk, pos, chunk.length)
  }

  /** Ends the stream: a last line without a newline is still a line. */
  end(): void {
    if (this.overlong) {
      this.overlong = false
      this.tooLong()
    } else if (this.carryBytes > 0) {
      const line = Buffer.concat(this.carry)
      this.dropCarry()
      this.emit(line, 0, line.length, false)
    }
  }

  /** Forgets an unfinished last line (the stream was cut, its tail is not data). */
  discard(): void {
    this.dropCarry()
    this.overlong = false
  }

  private emit(buf: Buffer, start: number, end: number, knownValid: boolean): void {
    const lineNo = this.lineNo++
    if (end > start && buf[end - 1] === CR) end--
    if (lineNo === 1 && end - start >= 3 && buf[start] === 0xef && buf[start + 1] === 0xbb && buf[start + 2] === 0xbf) start += 3
    if (end - start > this.maxLineBytes) return this.handler.unreadable(lineNo, this.tooLongMessage())
    if (!knownValid && !isUtf8(buf.subarray(start, end))) {
      const at = firstInvalidUtf8(buf.subarray(start, end))
      return this.handler.unreadable(lineNo, `invalid UTF-8 at byte ${at + 1} of the line (0x${buf[start + at]!.toString(16).padStart(2, '0')})`)
    }
    this.handler.line(buf.toString('utf8', start, end), lineNo)
  }

  private stash(chunk: Buffer, start: number, end: number): void {
    if (this.carryBytes + end - start > this.maxLineBytes) {
      this.dropCarry()
      this.overlong = true
      return
    }
    this.carry.push(Buffer.from(chunk.subarray(start, end)))
    this.carryBytes += end - start
  }

  private dropCarry(): void {
    this.carry = []
    this.carryBytes = 0
  }

  private tooLong(): void {
    this.handler.unreadable(this.lineNo++, this.tooLongMessage())
  }

  private tooLongMessage(): string {
    return `line longer than ${this.maxLineBytes} bytes; skipped`
  }
}
