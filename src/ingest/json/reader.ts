import type { LineBytes } from '../bytes/line-bytes.js'
import { errorItem, type ItemSink } from '../types.js'
import { closingQuote, JsonFramer } from './framer.js'
import { describeJsonError } from './json-error.js'
import { isJsonObject } from './field-values.js'
import { pushObjectItem, type EmbeddedXmlReader } from './object-item.js'

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
 *
 * A top-level array of objects (`[{…},{…}]` on one line, or pretty-printed over many, as
 * `jq -s`, Chainsaw's `--json` and most "export as JSON" buttons write) is read element by
 * element, each object an item of its own with its own bytes; the array is never parsed whole.
 * Its punctuation is checked as JSON's (a missing or doubled comma, an element that is not an
 * object, an array never closed are errors with their line and column), and the objects around a
 * mistake are still read. After a broken element of a pretty-printed array, reading resumes at the
 * next line that starts an element at the first element's indentation, or ends the array at its own.
 */

type Mode = 'line' | 'document' | 'resync'

/** An open top-level array: where it started, how it is indented, and what may come next in it. */
interface OpenArray {
  readonly line: number
  readonly offset: number
  /** The column of its `[` when that starts its line (pretty-printed), else -1. */
  readonly column: number
  /** The column of its first element's `{` when that starts its line, else -1. */
  elementColumn: number
  /** 'first': an element or `]`; 'element': an element (after a comma); 'separator': `,` or `]`. */
  expect: 'first' | 'element' | 'separator'
}

const BRACE = 0x7b
const BRACKET = 0x5b
const CLOSE_BRACKET = 0x5d
const COMMA = 0x2c
const QUOTE = 0x22
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
  /** The top-level array being read, if any. */
  private array: OpenArray | null = null

  constructor(
    readonly out: ItemSink,
    private readonly maxObjectChars: number,
    private readonly lineBytes: LineBytes,
    readonly hostOf?: (aid: string) => string | undefined,
    /** Reads the XML event of a Splunk export's `_raw` (splunk-raw.ts); its items take the object's bytes. */
    readonly embeddedXml?: EmbeddedXmlReader,
  ) {}

  /** True while lines belong to an unfinished object (or are skipped after one failed). */
  get busy(): boolean {
    return this.mode !== 'line' || this.array !== null
  }

  line(text: string, lineNo: number, offset: number): void {
    if (this.mode === 'document') return this.continueObject(text, lineNo, offset)
    if (this.mode === 'resync') {
      if (this.array !== null) return this.resyncInArray(text, lineNo, offset)
      if (text.charCodeAt(0) !== BRACE && !this.parsedWhole(text, lineNo, offset)) return
      this.mode = 'line'
      if (text.charCodeAt(0) !== BRACE) return
    }
    // Inside an array, or opening one: element by element (never the whole array as one value).
    if (this.array !== null || text.charCodeAt(skipSpace(text, 0)) === BRACKET) return this.objectsFrom(text, 0, lineNo, offset)
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
    this.emitValue(value, lineNo, offset, start, this.lineBytes.at(to) - start)
  }

  /** One parsed value's item — the event of a Splunk export's `_raw` when it is one. */
  private emitValue(value: unknown, line: number, offset: number, rawOffset: number, rawLength: number): void {
    pushObjectItem(this, value, line, offset, rawOffset, rawLength)
  }

  /** Content that is not JSON arrives (an XML line in `auto`): an open object was cut off. */
  cut(lineNo: number): void {
    if (this.mode === 'document') this.abandon(`unexpected end of JSON: object not closed (line ${lineNo} is not JSON)`, 'line')
    this.mode = 'line'
    this.closeUnfinishedArray(` (line ${lineNo} is not JSON)`)
  }

  /** A line in between could not be read: an open object cannot be completed. */
  interrupt(lineNo: number): void {
    if (this.mode === 'document') this.abandon(`unexpected end of JSON: object not closed (line ${lineNo} is unreadable)`, 'resync')
    // An array on one long line whose rest was skipped ends with it: what was skipped is reported already.
    if (this.array?.line === lineNo) {
      this.array = null
      if (this.mode === 'resync') this.mode = 'line'
    }
  }

  end(): void {
    if (this.mode === 'document') this.abandon('unexpected end of JSON: object not closed', 'line')
    this.mode = 'line'
    this.closeUnfinishedArray('')
  }

  /** The array still open where its input ends: its elements were read; that it was cut off is an error at its `[`. */
  private closeUnfinishedArray(why: string): void {
    if (this.array === null) return
    this.out.push(errorItem(this.array.line, this.array.offset, `unexpected end of JSON: array not closed${why}`))
    this.array = null
  }

  /**
   * After a broken element of an array: skip lines up to one whose first character starts an
   * element at the first element's indentation (read from there) or closes the array at its own.
   */
  private resyncInArray(text: string, lineNo: number, offset: number): void {
    const array = this.array!
    const first = skipSpace(text, 0)
    const c = text.charCodeAt(first)
    const startsElement = c === BRACE && (first === array.elementColumn || first === 0)
    const closesArray = c === CLOSE_BRACKET && first === array.column
    if (!startsElement && !closesArray) return
    this.mode = 'line'
    array.expect = 'element'
    if (closesArray) array.expect = 'separator'
    this.objectsFrom(text, first, lineNo, offset)
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
      const c = text.charCodeAt(i)
      if (this.array !== null) {
        const next = this.arrayPunctuation(text, i, c, lineNo, offset)
        if (next >= 0) {
          i = next
          continue
        }
      } else if (c === BRACKET) {
        const column = skipSpace(text, 0) === i ? i : -1
        this.array = { line: lineNo, offset, column, elementColumn: -1, expect: 'first' }
        i++
        continue
      } else if (c !== BRACE) {
        this.out.push(errorItem(lineNo, offset, `JSON error at line ${lineNo}, column ${i + 1}: text after a JSON object: ${preview(text.slice(i))}`))
        return
      }
      // An object, or (in an array) a nested array, whose end the framer finds.
      if (this.array !== null && this.array.elementColumn < 0 && skipSpace(text, 0) === i) this.array.elementColumn = i
      this.framer.reset()
      const end = this.framer.scan(text, i)
      if (end < 0) return this.open(text, i, lineNo, offset)
      const start = this.lineBytes.at(i)
      this.parse(text.slice(i, end), lineNo, offset, i, start, this.lineBytes.at(end) - start)
      i = end
    }
  }

  /**
   * In an array, at `i` (not white space): consumes a `,`, a `]` or an element that is not an
   * object or array, reporting what JSON does not allow there, and returns where to go on; or
   * returns -1 when an object or array element starts at `i` (read by the caller).
   */
  private arrayPunctuation(text: string, i: number, c: number, lineNo: number, offset: number): number {
    const array = this.array!
    const at = `JSON error at line ${lineNo}, column ${i + 1}`
    if (c === CLOSE_BRACKET) {
      if (array.expect === 'element') this.out.push(errorItem(lineNo, offset, `${at}: ']' after a comma (an array element is missing)`))
      this.array = null
      return i + 1
    }
    if (c === COMMA) {
      if (array.expect === 'separator') array.expect = 'element'
      else this.out.push(errorItem(lineNo, offset, `${at}: ',' where an array element should be`))
      return i + 1
    }
    // An element: the comma before it is missing if one was due (the element is still read).
    if (array.expect === 'separator') this.out.push(errorItem(lineNo, offset, `${at}: expected ',' or ']' after an array element, found ${preview(text.slice(i))}`))
    array.expect = 'separator'
    if (c === BRACE || c === BRACKET) return -1
    const end = primitiveEnd(text, i)
    this.out.push(errorItem(lineNo, offset, `${at}: array element is not an object: ${preview(text.slice(i, end))}`))
    return end
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
    if (this.startsNextObject(text)) {
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

  /**
   * Whether `text`, while an object is open, starts the next one — so the open one was cut off:
   * a `{` in column 0 (pretty printers indent nested objects), or, when the open object is an
   * element of a pretty-printed array, a `{` at the indentation of the array's elements.
   */
  private startsNextObject(text: string): boolean {
    if (text.charCodeAt(0) === BRACE) return true
    const column = this.array?.elementColumn ?? -1
    return column > 0 && this.startColumn === column && skipSpace(text, 0) === column && text.charCodeAt(column) === BRACE
  }

  /** Parses one framed object that starts at `line` (column `column`), emitting its item or error; its text is at `rawOffset`. */
  private parse(object: string, line: number, offset: number, column: number, rawOffset: number, rawLength: number): void {
    let value: unknown
    try {
      value = JSON.parse(object)
    } catch (err) {
      return void this.out.push(errorItem(line, offset, describeJsonError(object, err, line, column)))
    }
    if (this.array !== null && !isJsonObject(value)) {
      return void this.out.push(errorItem(line, offset, `JSON error at line ${line}, column ${column + 1}: array element is not an object: ${preview(object)}`))
    }
    this.emitValue(value, line, offset, rawOffset, rawLength)
  }

  /** The open object ended inside a string: it cannot be valid; JSON.parse says where. */
  private fail(): void {
    const object = this.parts.join('\n')
    this.parts = []
    this.mode = 'resync'
    // The next element found by resyncInArray is read without asking for a comma before it.
    if (this.array !== null) this.array.expect = 'element'
    // It cannot parse (it ends inside a string), so no event and no raw text comes of it.
    this.parse(object, this.startLine, this.startOffset, this.startColumn, this.startByte, 0)
  }

  private tooLong(lineNo: number): void {
    this.abandon(`JSON object longer than ${this.maxObjectChars} characters (still open at line ${lineNo}); skipped`, 'resync')
  }

  private abandon(message: string, next: Mode): void {
    this.out.push(errorItem(this.startLine, this.startOffset, message))
    // In an array, whatever element comes next is read without asking for a comma before it.
    if (this.array !== null) this.array.expect = 'element'
    this.parts = []
    this.chars = 0
    this.mode = next
  }
}

/** Where a string, number or literal that starts at `i` ends: its closing quote + 1, or the next `,` `]` or white space. */
function primitiveEnd(text: string, i: number): number {
  if (text.charCodeAt(i) === QUOTE) {
    const q = closingQuote(text, i)
    return q < 0 ? text.length : q + 1
  }
  let end = i
  while (end < text.length) {
    const c = text.charCodeAt(end)
    if (c === COMMA || c === CLOSE_BRACKET || isJsonSpace(c)) break
    end++
  }
  return Math.max(end, i + 1)
}
