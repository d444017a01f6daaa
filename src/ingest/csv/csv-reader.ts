import type { LineBytes } from '../bytes/line-bytes.js'
import { pushObjectItem, type ObjectSink } from '../json/object-item.js'
import { errorItem } from '../types.js'
import { csvFields, quotesOpenAfter } from './csv-fields.js'

/**
 * CSV exports of events, RFC 4180: a header line names the columns and each record after it is
 * one event, made an object of its columns and read like a JSON object — Splunk's "Export → CSV"
 * (the event in `_raw`), a CrowdStrike event search export (`event_simpleName`), flat Windows
 * fields as SIEMs export them (`EventID`, `Image`, `CommandLine`…), Kibana's export of Winlogbeat
 * documents (`winlog.event_data.Image`: dotted names nest). A quoted field may hold commas,
 * doubled quotes and line breaks, so a record may span lines. CSV cannot tell an empty field from a
 * missing one; exporters write missing fields empty, so an empty field is left out of the object.
 * A record whose number of fields is not the header's is an error naming both counts.
 */

interface CsvObject {
  [name: string]: string | CsvObject
}

/**
 * Objects without a prototype: column names are the file's, and `__proto__.x` or
 * `constructor.prototype.x` must name fields of the record, never reach Object.prototype.
 */
const emptyObject = (): CsvObject => Object.create(null) as CsvObject

/**
 * Sets a column's value: a dotted name (`winlog.event_data.Image`, as Kibana exports nested
 * fields) is a path into nested objects, as the JSON it was flattened from had it; where a path
 * meets a value already set, the name is kept whole.
 */
function place(object: CsvObject, name: string, value: string): void {
  const path = name.split('.')
  let at = object
  for (const part of path.slice(0, -1)) {
    const next = at[part] ?? (at[part] = emptyObject())
    if (typeof next === 'string') return void (object[name] = value)
    at = next
  }
  const last = path.at(-1)!
  if (typeof at[last] === 'object') object[name] = value
  else at[last] = value
}

export class CsvReader {
  private header: readonly string[] | null = null
  /** The open record's lines so far (a quoted field still open at the end of its last line). */
  private parts: string[] = []
  private chars = 0
  /** Whether the open record's last line ended inside a quoted field. */
  private quoted = false
  private startLine = 0
  private startOffset = 0
  private startByte = 0

  constructor(
    private readonly sink: ObjectSink,
    private readonly maxRecordChars: number,
    private readonly lineBytes: LineBytes,
  ) {}

  /** True once a header was read: every later line belongs to the CSV. */
  get active(): boolean {
    return this.header !== null
  }

  /** Takes `fields` (a header line's) as the columns of the records after it. */
  start(fields: readonly string[]): void {
    this.header = fields
  }

  line(text: string, lineNo: number, offset: number): void {
    if (this.parts.length === 0) {
      if (text.trim() === '') return
      this.startLine = lineNo
      this.startOffset = offset
      this.startByte = this.lineBytes.at(0)
    }
    this.parts.push(text)
    this.chars += text.length
    if (this.chars > this.maxRecordChars) {
      this.sink.out.push(errorItem(this.startLine, this.startOffset, `CSV record longer than ${this.maxRecordChars} characters (a quoted field never closed?); skipped up to line ${lineNo}`))
      return this.reset()
    }
    this.quoted = quotesOpenAfter(text, this.quoted)
    if (this.quoted) return
    this.emit(this.parts.join('\n'), this.lineBytes.at(text.length))
    this.reset()
  }

  /** A line in between could not be read: the open record cannot be completed. */
  interrupt(lineNo: number): void {
    if (this.parts.length === 0) return
    this.sink.out.push(errorItem(this.startLine, this.startOffset, `CSV record not closed: line ${lineNo} inside its quoted field is unreadable`))
    this.reset()
  }

  end(): void {
    if (this.parts.length === 0) return
    this.sink.out.push(errorItem(this.startLine, this.startOffset, 'CSV record not closed: a quoted field opened in it never ends (the file ends first)'))
    this.reset()
  }

  private emit(record: string, endByte: number): void {
    const header = this.header!
    const fields = csvFields(record)
    if (typeof fields === 'string') return void this.sink.out.push(errorItem(this.startLine, this.startOffset, `invalid CSV record: ${fields}`))
    if (fields.length !== header.length) {
      return void this.sink.out.push(errorItem(this.startLine, this.startOffset, `CSV record has ${fields.length} field(s), the header ${header.length}`))
    }
    const object = emptyObject()
    header.forEach((name, i) => {
      if (fields[i] !== '') place(object, name, fields[i]!)
    })
    pushObjectItem(this.sink, object, this.startLine, this.startOffset, this.startByte, endByte - this.startByte)
  }

  private reset(): void {
    this.parts = []
    this.chars = 0
    this.quoted = false
  }
}
