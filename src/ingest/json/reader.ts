import type { LineBytes } from '../bytes/line-bytes.js'
import { errorItem, type ItemSink } from '../types.js'
import { JsonFramer } from './framer.js'
import { describeJsonError } from './json-error.js'
import { jsonValueItem } from './value-item.js'

/**
 * JSON, line by line. A line that is one JSON value (NDJSON, the common case) is parsed whole.
 * Otherwise the framer cuts it into top-level objects: several on one line (`}{`) are read one by
 * one, and an object still open at the end of its line continues on the next lines
 * (pretty-printed or concatenated JSON, `}\n{` between objects, as evtx_dump writes). An open
 * object is capped like a line (`maxObjectChars`). Recovery mirrors the XML reader: a line that
 * starts with `{` in column 0 while an object is open means that object was cut off (pretty
 * printers indent nested objects); after an error inside an object, lines are skipped up to the
 * next such line or the next line that is a whole JSON value. Each value's item says which bytes of
 * the input it was read from (`lineBytes`): the object alone, whatever else is on its lines.
 */

type Mode = 'line' | 'document' | 'resync'

const BRACE = 0x7b
const preview = (t: string): string => JSON.stringify(t.length > 40 ? `${t.slice(0, 40)}…` : t)

/** JSON's whitespace (what JSON.parse skips around a value). */
const isJsonSpace = (c: number): boolean => c === 0x20 || c === 0x09 || c === 0x0d || c === 0x0a

function skipSpace(t: string, from: number): number {
  let i = from
  while (i < t.length && (t.charCodeAt(i) === 0x20 || t.charCodeAt(i) === 0x09 || t.charCodeAt(i) === 0x0d)) i++
  return i
}

export class JsonReader {
  private readonly framer = new JsonFramer()
  private mode: Mode = 'line'
  /** The open object: its lines so far, their length, and where it starts. */
  private parts: string[] = []
  private chars = 0
  private startLine = 0
  private startOffset = 0
  private startColumn = 0
  /** The byte offset of the open object's `{`. */
  private startByte = 0

  constructor(
    private readonly out: ItemSink,
    private readonly maxObjectChars: number,
    private readonly lineBytes: LineBytes,
    private readonly hostOf?: (aid: string) => string | undefined,
  ) {}

  /** True while lines belong to an unfinished object (or are skipped after one failed). */
  get busy(): boolean {
    return this.mode !== 'line'
  }

  line(text: string, lineNo: number, offset: number): void {
    if (this.mode === 'document') return this.continueObject(text, lineNo, offset)
    if (this.mode === 'resync') {
      if (text.charCodeAt(0) !== BRACE && !this.parsedWhole(text, lineNo, offset)) return
      this.mode = 'line'
      if (text.charCodeAt(0) !== BRACE) return
    }
    let value: unknown
    try {
      value = JSON.parse(text)
    } catch (err) {
      return this.scanLine(text, lineNo, offset, err)
    }
    this.pushWhole(value, text, lineNo, offset)
  }

  /** The item of a line that is one JSON value: its text is the line without surrounding whitespace. */
  private pushWhole(value: unknown, text: string, lineNo: number, offset: number): void {
    let from = 0
    let to = text.length
    while (from < to && isJsonSpace(text.charCodeAt(from))) from++
    while (to > from && isJsonSpace(text.charCodeAt(to - 1))) to--
    const start = this.lineBytes.at(from)
    this.out.push(jsonValueItem(value, lineNo, offset, start, this.lineBytes.at(to) - start, this.hostOf))
  }

  /** Content that is not JSON arrives (an XML line in `auto`): an open object was cut off. */
  cut(lineNo: number): void {
    if (this.mode === 'document') this.abandon(`unexpected end of JSON: object not closed (line ${lineNo} is not JSON)`, 'line')
    this.mode = 'line'
  }

  /** A line in between could not be read: an open object cannot be completed. */
  interrupt(lineNo: number): void {
    if (this.mode === 'document') this.abandon(`unexpected end of JSON: object not closed (line ${lineNo} is unreadable)`, 'resync')
  }

  end(): void {
    if (this.mode === 'document') this.abandon('unexpected end of JSON: object not closed', 'line')
    this.mode = 'line'
  }

  /** In resync: a line that is a whole JSON value ends it (emitted here); true if so. */
  private parsedWhole(text: string, lineNo: number, offset: number): boolean {
    if (text.charCodeAt(skipSpace(text, 0)) !== BRACE) return false
    try {
      this.pushWhole(JSON.parse(text), text, lineNo, offset)
      return true
    } catch {
      return false
    }
  }

  /** A line that is not one JSON value: objects one by one, the last maybe left open. */
  private scanLine(text: string, lineNo: number, offset: number, err: unknown): void {
    const first = skipSpace(text, 0)
    if (text.charCodeAt(first) !== BRACE) return void this.out.push(errorItem(lineNo, offset, describeJsonError(text, err, lineNo, 0)))
    this.objectsFrom(text, first, lineNo, offset)
  }

  private objectsFrom(text: string, from: number, lineNo: number, offset: number): void {
    for (let i = skipSpace(text, from); i < text.length; i = skipSpace(text, i)) {
      if (text.charCodeAt(i) !== BRACE) {
        this.out.push(errorItem(lineNo, offset, `JSON error at line ${lineNo}, column ${i + 1}: text after a JSON object: ${preview(text.slice(i))}`))
        return
      }
      this.framer.reset()
      const end = this.framer.scan(text, i)
      if (end < 0) return this.open(text, i, lineNo, offset)
      const start = this.lineBytes.at(i)
      this.parse(text.slice(i, end), lineNo, offset, i, start, this.lineBytes.at(end) - start)
      i = end
    }
  }

  private open(text: string, column: number, lineNo: number, offset: number): void {
    this.parts = [column === 0 ? text : text.slice(column)]
    this.chars = text.length - column + 1
    this.startLine = lineNo
    this.startOffset = offset
    this.startColumn = column
    this.startByte = this.lineBytes.at(column)
    this.mode = 'document'
    if (this.framer.inString) this.fail()
    else if (this.chars > this.maxObjectChars) this.tooLong(lineNo)
  }

  private continueObject(text: string, lineNo: number, offset: number): void {
    if (text.charCodeAt(0) === BRACE) {
      this.abandon(`unexpected end of JSON: object not closed (a new object starts on line ${lineNo})`, 'line')
      return this.line(text, lineNo, offset)
    }
    const end = this.framer.scan(text, 0)
    this.chars += (end < 0 ? text.length : end) + 1
    if (this.chars > this.maxObjectChars) return this.tooLong(lineNo)
    this.parts.push(end < 0 ? text : text.slice(0, end))
    if (end < 0) {
      if (this.framer.inString) this.fail()
      return
    }
    const object = this.parts.join('\n')
    this.parts = []
    this.mode = 'line'
    this.parse(object, this.startLine, this.startOffset, this.startColumn, this.startByte, this.lineBytes.at(end) - this.startByte)
    this.objectsFrom(text, end, lineNo, offset)
  }

  /** Parses one framed object that starts at `line` (column `column`), emitting its item or error; its text is at `rawOffset`. */
  private parse(object: string, line: number, offset: number, column: number, rawOffset: number, rawLength: number): void {
    let value: unknown
    try {
      value = JSON.parse(object)
    } catch (err) {
      return void this.out.push(errorItem(line, offset, describeJsonError(object, err, line, column)))
    }
    this.out.push(jsonValueItem(value, line, offset, rawOffset, rawLength, this.hostOf))
  }

  /** The open object ended inside a string: it cannot be valid; JSON.parse says where. */
  private fail(): void {
    const object = this.parts.join('\n')
    this.parts = []
    this.mode = 'resync'
    // It cannot parse (it ends inside a string), so no event and no raw text comes of it.
    this.parse(object, this.startLine, this.startOffset, this.startColumn, this.startByte, 0)
  }

  private tooLong(lineNo: number): void {
    this.abandon(`JSON object longer than ${this.maxObjectChars} characters (still open at line ${lineNo}); skipped`, 'resync')
  }

  private abandon(message: string, next: Mode): void {
    this.out.push(errorItem(this.startLine, this.startOffset, message))
    this.parts = []
    this.chars = 0
    this.mode = next
  }
}
