import { Buffer, isUtf8 } from 'node:buffer'
import { firstLoneSurrogate, indexOfNewlineUnit } from './encoding.js'
import { LineBytes } from './line-bytes.js'
import { firstInvalidUtf8 } from './utf8.js'

/**
 * Cuts a byte stream into lines and decodes each line on its own. Decoding per line (instead of
 * a whole chunk then splitting the string) keeps strings small and one-byte where possible, and
 * was about 4x faster here; it also lets an invalid line be reported alone. Memory is bounded by
 * `maxLineBytes`: the bytes of an over-long line are dropped as they arrive. Every line comes with
 * the byte offset of its start, and `lineBytes` says where each of its characters is (for the raw
 * bytes of an event). UTF-16 input must arrive little-endian in even-length chunks
 * (`utf16LittleEndian`).
 *
 * A line of events longer than `maxLineBytes` is not lost: wevtutil writes a whole export as one
 * line, `<Event …>…</Event><Event …>…`, and JSON tools a whole array, `[{…},{…},…]`. Such a line
 * is handed on in pieces, each no longer than `maxLineBytes`, all with the line's number and each
 * with the byte offset where it starts: an XML line (first character `<`) cut right after an
 * `</Event>` end tag, a JSON line (`[` or `{`) right after an element of its top-level array, or
 * one of its top-level objects, ends — found by following its strings and nesting, so a bracket
 * or an end tag inside a string is never taken for one. Between two events nothing is lost but
 * what no event holds; only a stretch of `maxLineBytes` where no event ends is skipped.
 */

export interface LineHandler {
  /** One decoded line, without its `\n` / `\r\n`; the BOM of line 1 is removed. */
  line(text: string, lineNo: number, offset: number): void
  /** A line that could not be decoded or was too long; its content is gone. */
  unreadable(lineNo: number, offset: number, message: string): void
}

const NL = 0x0a
const CR = 0x0d
const LT = 0x3c
const QUOTE = 0x22
const BACKSLASH = 0x5c
const BRACE = 0x7b
const CLOSE_BRACE = 0x7d
const BRACKET = 0x5b
const CLOSE_BRACKET = 0x5d

/** White space before a line's first character (what the readers skip to tell `<` from `{`). */
export const isLineSpace = (c: number): boolean => c === 0x20 || c === 0x09 || c === CR || c === 0x0b || c === 0x0c
/** Where a long XML line may be cut: after an event's end tag, in each encoding. */
const EVENT_END = { 1: Buffer.from('</Event>', 'utf8'), 2: Buffer.from('</Event>', 'utf16le') } as const

export class LineSplitter {
  private carry: Buffer[] = []
  private carryBytes = 0
  /** True while dropping the rest of an over-long line until its newline. */
  private overlong = false
  private lineNo = 1
  /** Bytes pushed before the current chunk, and the offset where the current line starts. */
  private consumed = 0
  private lineStart = 0
  /** Bytes per code unit: 1 for UTF-8, 2 for UTF-16LE. */
  private readonly unit: 1 | 2
  /** Whether part of the current line was handed on already (a long line, cut between events). */
  private lineCut = false
  /** How the current over-long line is cut: decided by its first character, before its first piece. */
  private cutKind: 'xml' | 'json' | null = null
  /** For a JSON line: the depth its pieces end at (1 when it starts with `[`), and where its last piece ended. */
  private jsonBase = 0
  private jsonDepth = 0

  constructor(
    private readonly handler: LineHandler,
    private readonly maxLineBytes: number,
    encoding: 'utf8' | 'utf16le' = 'utf8',
    /** Set to the line's byte positions before each `line` call (shared with the readers). */
    readonly lineBytes: LineBytes = new LineBytes(),
    /** Cut an over-long line that starts with `<` after its events' end tags (false: the input is JSON, whose lines are cut as JSON only). */
    private readonly cutXmlEvents = true,
  ) {
    this.unit = encoding === 'utf8' ? 1 : 2
  }

  /** The number of the line the next byte belongs to. */
  get currentLine(): number {
    return this.lineNo
  }

  /** The byte offset where that line starts. */
  get currentOffset(): number {
    return this.lineStart
  }

  push(input: Uint8Array): void {
    const chunk = Buffer.isBuffer(input) ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength)
    this.split(chunk)
    this.consumed += chunk.length
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

  private split(chunk: Buffer): void {
    const u = this.unit
    let pos = 0
    if (this.overlong) {
      const nl = this.newline(chunk, 0)
      if (nl < 0) return
      this.overlong = false
      this.tooLong()
      pos = this.next(nl)
    }
    if (this.carryBytes > 0) {
      const nl = this.newline(chunk, pos)
      if (nl < 0) return this.stash(chunk, pos, chunk.length)
      const tooLong = this.carryBytes + nl - pos > this.maxLineBytes
      const line = Buffer.concat([...this.carry, chunk.subarray(pos, nl)])
      this.dropCarry()
      const rest = tooLong ? this.cutEvents(line, 0, line.length, false) : 0
      if (rest < 0) this.tooLong()
      else this.emit(line, rest, line.length, false)
      pos = this.next(nl)
    }
    if (u === 1) {
      const last = chunk.lastIndexOf(NL)
      if (last >= pos) {
        // One SIMD validation for the whole region; only a failing region is re-checked per line.
        const valid = isUtf8(chunk.subarray(pos, last))
        while (pos <= last) {
          const nl = chunk.indexOf(NL, pos)
          this.emit(chunk, pos, nl, valid)
          pos = this.next(nl)
        }
      }
    } else {
      for (let nl = indexOfNewlineUnit(chunk, pos); nl >= 0; nl = indexOfNewlineUnit(chunk, pos)) {
        this.emit(chunk, pos, nl, false)
        pos = this.next(nl)
      }
    }
    if (pos < chunk.length) this.stash(chunk, pos, chunk.length)
  }

  private newline(chunk: Buffer, from: number): number {
    return this.unit === 1 ? chunk.indexOf(NL, from) : indexOfNewlineUnit(chunk, from)
  }

  /** The chunk position after the newline at `nl`; the next line starts there. */
  private next(nl: number): number {
    const pos = nl + this.unit
    this.lineStart = this.consumed + pos
    this.lineCut = false
    return pos
  }

  private emit(buf: Buffer, start: number, end: number, knownValid: boolean): void {
    if (end - start > this.maxLineBytes) {
      // A long line in one chunk: its events in pieces, then the rest as the line's end.
      const rest = this.cutEvents(buf, start, end, false)
      if (rest >= 0) start = rest
    }
    const lineNo = this.lineNo++
    const offset = this.lineStart
    if (this.unit === 2) return this.emitUtf16(buf, start, end, lineNo, offset)
    if (end > start && buf[end - 1] === CR) end--
    this.emitUtf8(buf, start, end, lineNo, offset, knownValid)
  }

  private emitUtf8(buf: Buffer, start: number, end: number, lineNo: number, offset: number, knownValid: boolean): void {
    const bom = this.bomAt(buf, start, end, offset)
    start += bom
    if (end - start > this.maxLineBytes) return this.handler.unreadable(lineNo, offset, this.tooLongMessage())
    if (!knownValid && !isUtf8(buf.subarray(start, end))) {
      const at = firstInvalidUtf8(buf.subarray(start, end))
      return this.handler.unreadable(lineNo, offset, `invalid UTF-8 at byte ${at + 1} of the line (0x${buf[start + at]!.toString(16).padStart(2, '0')})`)
    }
    const text = buf.toString('utf8', start, end)
    this.lineBytes.set(text, offset + bom, end - start, 1)
    this.handler.line(text, lineNo, offset)
  }

  private emitUtf16(buf: Buffer, start: number, end: number, lineNo: number, offset: number): void {
    if (end - start >= 2 && buf[end - 2] === CR && buf[end - 1] === 0) end -= 2
    const bom = this.bomAt(buf, start, end, offset)
    start += bom
    if (end - start > this.maxLineBytes) return this.handler.unreadable(lineNo, offset, this.tooLongMessage())
    if ((end - start) & 1) return this.handler.unreadable(lineNo, offset, 'invalid UTF-16: the input ends in the middle of a code unit')
    const text = buf.toString('utf16le', start, end)
    const lone = firstLoneSurrogate(text)
    if (lone >= 0) {
      return this.handler.unreadable(lineNo, offset, `invalid UTF-16 at byte ${2 * lone + 1} of the line (unpaired surrogate 0x${text.charCodeAt(lone).toString(16)})`)
    }
    this.lineBytes.set(text, offset + bom, end - start, 2)
    this.handler.line(text, lineNo, offset)
  }

  private stash(chunk: Buffer, start: number, end: number): void {
    if (this.carryBytes + end - start > this.maxLineBytes) {
      const line = Buffer.concat([...this.carry, chunk.subarray(start, end)])
      this.dropCarry()
      const rest = this.cutEvents(line, 0, line.length, true)
      if (rest < 0) {
        this.overlong = true
        return
      }
      chunk = line
      start = rest
      end = line.length
    }
    this.carry.push(Buffer.from(chunk.subarray(start, end)))
    this.carryBytes += end - start
  }

  /**
   * Hands on the events of the long line in `buf[start, end)` (its bytes so far) as pieces cut
   * between events (after `</Event>`, or where a JSON element or object ends), none longer than
   * maxLineBytes, until what is left fits in one piece (or, with `keepTail`, until what is left
   * holds no event end: it is the start of the next event, still arriving). Returns where what is
   * left starts, or -1 when the line cannot be cut: neither XML nor JSON, or a stretch of
   * maxLineBytes without an event end; its pieces so far were handed on.
   */
  private cutEvents(buf: Buffer, start: number, end: number, keepTail: boolean): number {
    if (!this.lineCut) {
      const first = this.firstCharacter(buf, start, end)
      this.cutKind = first === LT && this.cutXmlEvents ? 'xml' : first === BRACKET || first === BRACE ? 'json' : null
      // A JSON line is cut where its depth comes back to this: after an element of its top-level array, or after a top-level object.
      this.jsonBase = first === BRACKET ? 1 : 0
    }
    const kind = this.cutKind
    if (kind === null) return -1
    const base = this.jsonBase
    while (end - start > (keepTail ? 0 : this.maxLineBytes)) {
      const limit = Math.min(end, start + this.maxLineBytes)
      const cut = kind === 'xml' ? this.lastEventEnd(buf, start, limit) : this.lastJsonEnd(buf, start, limit, base)
      if (cut < 0) return keepTail && end - start <= this.maxLineBytes ? start : -1
      this.emitPiece(buf, start, cut)
      start = cut
    }
    return start
  }

  /** The end of the last `</Event>` wholly inside `buf[start, limit)` (at a code unit boundary), or -1. */
  private lastEventEnd(buf: Buffer, start: number, limit: number): number {
    const tag = EVENT_END[this.unit]
    for (let at = buf.lastIndexOf(tag, limit - tag.length); at >= start; at = buf.lastIndexOf(tag, at - 1)) {
      if ((at - start) % this.unit === 0) return at + tag.length
    }
    return -1
  }

  /**
   * Just after the last `}` or `]` in `buf[start, limit)` that brings the JSON nesting depth back
   * to `base` or below (strings and their escapes followed from `start`, where the depth is the
   * one the line's last piece ended at), or -1. Quotes, backslashes and brackets are ASCII, so they
   * are found byte by byte in UTF-8 (never inside a multi-byte character) and unit by unit in UTF-16.
   */
  private lastJsonEnd(buf: Buffer, start: number, limit: number, base: number): number {
    const u = this.unit
    let depth = this.lineCut ? this.jsonDepth : 0
    let inString = false
    let cut = -1
    let cutDepth = 0
    for (let at = start; at + u <= limit; at += u) {
      if (u === 2 && buf[at + 1] !== 0) continue
      const c = buf[at]!
      if (inString) {
        if (c === BACKSLASH) at += u
        else if (c === QUOTE) inString = false
      } else if (c === QUOTE) inString = true
      else if (c === BRACE || c === BRACKET) depth++
      else if ((c === CLOSE_BRACE || c === CLOSE_BRACKET) && --depth <= base) {
        cut = at + u
        cutDepth = depth
      }
    }
    if (cut >= 0) this.jsonDepth = cutDepth
    return cut
  }

  /** Length of the byte-order mark at `start`, which only the input's first bytes (offset 0) may hold. */
  private bomAt(buf: Buffer, start: number, end: number, offset: number): number {
    if (offset !== 0) return 0
    if (this.unit === 1) return end - start >= 3 && buf[start] === 0xef && buf[start + 1] === 0xbb && buf[start + 2] === 0xbf ? 3 : 0
    return end - start >= 2 && buf[start] === 0xff && buf[start + 1] === 0xfe ? 2 : 0
  }

  /** The line's first character that is not white space, when it is ASCII; else -1. */
  private firstCharacter(buf: Buffer, start: number, end: number): number {
    const u = this.unit
    for (let at = start + this.bomAt(buf, start, end, this.lineStart); at + u <= end; at += u) {
      const c = buf[at]!
      if (u === 2 && buf[at + 1] !== 0) return -1
      if (!isLineSpace(c)) return c
    }
    return -1
  }

  /** A piece of the current line: the line's number, the offset where the piece starts. */
  private emitPiece(buf: Buffer, start: number, end: number): void {
    const offset = this.lineStart
    this.lineStart += end - start
    this.lineCut = true
    if (this.unit === 2) this.emitUtf16(buf, start, end, this.lineNo, offset)
    else this.emitUtf8(buf, start, end, this.lineNo, offset, false)
  }

  private dropCarry(): void {
    this.carry = []
    this.carryBytes = 0
  }

  private tooLong(): void {
    this.handler.unreadable(this.lineNo++, this.lineStart, this.tooLongMessage())
  }

  private tooLongMessage(): string {
    if (this.lineCut && this.cutKind === 'xml') return `no XML event ends in the next ${this.maxLineBytes} bytes of the line (its events before were read); the rest of the line skipped`
    if (this.lineCut && this.cutKind === 'json') return `no JSON object ends in the next ${this.maxLineBytes} bytes of the line (its objects before were read); the rest of the line skipped`
    return `line longer than ${this.maxLineBytes} bytes; skipped`
  }
}
