import type { LineBytes } from '../bytes/line-bytes.js'
import { errorItem, type ItemSink } from '../types.js'
import { windowsEventItem } from '../windows-event.js'
import { parseRegularLine } from './fast-path.js'
import { DOCTYPE_MESSAGE, StrictEventParser } from './strict-path.js'

/**
 * Windows XML, line by line. A line holding whole events goes to the fast path, or to saxes when
 * the fast path declines. A line that opens an event without closing it starts document mode:
 * following lines stream into saxes until every element is closed (pretty-printed events).
 * Splunk's own rule `LINE_BREAKER=([\r\n]+)<Event\sxmlns` is used for recovery: a line starting
 * with `<Event` while an event is still open means that event was cut off. After a syntax error
 * inside a multi-line event, lines are skipped up to the next `<Event` (one error, not a cascade).
 * An `<Events>` wrapper and an XML declaration at the start of a line are accepted and dropped.
 * A DOCTYPE (or a stray entity declaration) is an error and nothing in it is read or expanded.
 * Every event's item names the bytes of its `<Event>…</Event>` in the input (`lineBytes`).
 */

type Mode = 'line' | 'document' | 'resync'

const startsEvent = (t: string): boolean => t.startsWith('<Event') && (t.length === 6 || /[\s>/]/.test(t[6]!))
const preview = (t: string): string => JSON.stringify(t.length > 40 ? `${t.slice(0, 40)}…` : t)

export class WindowsXmlReader {
  private readonly strict: StrictEventParser
  private mode: Mode = 'line'
  private wrappers = 0
  private wrapperLine = 0
  private wrapperOffset = 0
  /** Characters fed to saxes for the current multi-line event, capped like a line. */
  private documentChars = 0
  /** Where the current line's trimmed text ends (a character index): text cut from its start ends there too. */
  private lineEnd = 0
  /** The fast path's event ends on the current line. */
  private readonly ends: number[] = []

  constructor(
    private readonly out: ItemSink,
    private readonly maxEventChars: number,
    private readonly lineBytes: LineBytes,
  ) {
    this.strict = new StrictEventParser(lineBytes)
  }

  /** True while lines belong to an unfinished event (or are skipped after one failed). */
  get busy(): boolean {
    return this.mode !== 'line'
  }

  get resyncing(): boolean {
    return this.mode === 'resync'
  }

  /** Leaves resync mode because another kind of content (a JSON line) starts. */
  stopResync(): void {
    if (this.mode === 'resync') this.mode = 'line'
  }

  line(raw: string, lineNo: number, offset: number): void {
    const t = raw.trim()
    // Trimmed text starts with a non-space character, so its first occurrence is where it is.
    this.lineEnd = t.length === raw.length ? raw.length : raw.indexOf(t) + t.length
    if (this.mode === 'document') return this.continueDocument(raw, t, lineNo, offset)
    if (this.mode === 'resync') {
      const rest = this.stripLeading(t, lineNo, offset)
      if (!startsEvent(rest)) {
        if (rest.endsWith('</Events>') && this.wrappers > 0) this.wrappers--
        return
      }
      this.mode = 'line'
      return this.startLine(rest, lineNo, offset)
    }
    this.startLine(t, lineNo, offset)
  }

  /** A line in between could not be read: an open multi-line event cannot be completed. */
  interrupt(lineNo: number): void {
    if (this.mode !== 'document') return
    const open = this.openEvent()
    this.out.push(errorItem(open.line, open.offset, `unexpected end of XML: <Event> not closed (line ${lineNo} is unreadable)`))
    this.strict.reset()
    this.mode = 'resync'
  }

  end(): void {
    if (this.mode === 'document') {
      const open = this.strict.openEventLine
      if (open !== null) this.out.push(errorItem(open, this.strict.openEventOffset, 'unexpected end of XML: <Event> not closed'))
      else this.finishDocument()
      this.strict.reset()
    }
    this.mode = 'line'
    if (this.wrappers > 0) this.out.push(errorItem(this.wrapperLine, this.wrapperOffset, 'unexpected end of XML: <Events> not closed'))
    this.wrappers = 0
  }

  /** `trimmed` is a suffix of the current line's trimmed text. */
  private startLine(trimmed: string, lineNo: number, offset: number): void {
    const lead = this.stripLeading(trimmed, lineNo, offset)
    // stripLeading cuts from the front and stripTrailing from the back: `t` starts where `lead` does.
    const column = this.lineEnd - lead.length
    const t = this.stripTrailing(lead, lineNo, offset)
    if (t === '') return
    if (t.startsWith('<Event') && t.endsWith('</Event>')) {
      const records = parseRegularLine(t, this.ends)
      if (records !== null) {
        let from = this.lineBytes.at(column)
        for (let k = 0; k < records.length; k++) {
          const to = this.lineBytes.at(column + this.ends[k]!)
          this.out.push(windowsEventItem(records[k]!, lineNo, offset, from, to - from, true))
          from = to
        }
        return
      }
      this.strict.begin(lineNo, offset)
      this.strict.write(t, lineNo, offset, column)
      this.strict.finish()
      this.drain()
      return
    }
    if (t.startsWith('<!DOCTYPE') || t.startsWith('<!ENTITY')) {
      // The internal subset may span lines; everything up to the next <Event> is skipped.
      this.out.push(errorItem(lineNo, offset, `XML error at line ${lineNo}, column 1: ${DOCTYPE_MESSAGE}`))
      this.mode = 'resync'
      return
    }
    if (t.charCodeAt(0) !== 60) return void this.out.push(errorItem(lineNo, offset, `expected an XML <Event>, found ${preview(t)}`))
    this.mode = 'document'
    this.documentChars = 0
    this.strict.begin(lineNo, offset)
    this.feed(t, lineNo, offset, column)
  }

  private continueDocument(raw: string, t: string, lineNo: number, offset: number): void {
    const open = this.strict.openEventLine
    if (open !== null && startsEvent(t)) {
      this.out.push(errorItem(open, this.strict.openEventOffset, `unexpected end of XML: <Event> not closed (a new <Event> starts on line ${lineNo})`))
      this.strict.reset()
      this.mode = 'line'
      return this.startLine(t, lineNo, offset)
    }
    let text = raw
    if (t.endsWith('</Events>') && this.wrappers > 0) {
      this.wrappers--
      text = raw.slice(0, raw.lastIndexOf('</Events>'))
    }
    this.feed(text, lineNo, offset)
  }

  /**
   * Streams one line of a multi-line event into saxes (keeping its whitespace: values may span
   * lines); `text` starts at character `column` of the line.
   */
  private feed(text: string, lineNo: number, offset: number, column = 0): void {
    this.documentChars += text.length + 1
    if (this.documentChars > this.maxEventChars) {
      const open = this.openEvent()
      this.out.push(errorItem(open.line, open.offset, `XML event longer than ${this.maxEventChars} characters (still open at line ${lineNo}); skipped`))
      this.strict.reset()
      this.mode = 'resync'
      return
    }
    this.strict.write(`${text}\n`, lineNo, offset, column)
    if (this.drain()) {
      this.strict.reset()
      this.mode = 'resync'
    } else if (this.strict.depth === 0) {
      this.finishDocument()
      this.mode = 'line'
    }
  }

  /** Where the open event (or, before its `<Event>` tag, the open fragment) starts. */
  private openEvent(): { line: number; offset: number } {
    const line = this.strict.openEventLine
    return line === null ? this.strict.fragmentStart : { line, offset: this.strict.openEventOffset }
  }

  private finishDocument(): void {
    this.strict.finish()
    this.drain()
  }

  /** Emits the events saxes completed and its error, if any; true when there was an error. */
  private drain(): boolean {
    for (const { record, line, offset, rawOffset, rawLength } of this.strict.events) this.out.push(windowsEventItem(record, line, offset, rawOffset, rawLength))
    this.strict.events = []
    const error = this.strict.error
    if (error === null) return false
    this.out.push(errorItem(error.line, error.offset, error.message))
    this.strict.error = null
    return true
  }

  /** Drops an XML declaration and `<Events>` openings at the start of a line (counting the wrappers). */
  private stripLeading(t: string, lineNo: number, offset: number): string {
    for (;;) {
      if (t.startsWith('<?xml')) {
        const end = t.indexOf('?>')
        if (end < 0) return t
        t = t.slice(end + 2).trimStart()
      } else if (t.startsWith('<Events>')) {
        if (this.wrappers++ === 0) {
          this.wrapperLine = lineNo
          this.wrapperOffset = offset
        }
        t = t.slice(8).trimStart()
      } else return t
    }
  }

  private stripTrailing(t: string, lineNo: number, offset: number): string {
    if (!t.endsWith('</Events>')) return t
    if (this.wrappers > 0) this.wrappers--
    else this.out.push(errorItem(lineNo, offset, 'unexpected </Events> without <Events>'))
    return t.slice(0, -9).trimEnd()
  }
}
