import type { ItemSink } from '../types.js'
import { windowsEventItem } from '../windows-event.js'
import { parseRegularLine } from './fast-path.js'
import { StrictEventParser } from './strict-path.js'

/**
 * Windows XML, line by line. A line holding whole events goes to the fast path, or to saxes when
 * the fast path declines. A line that opens an event without closing it starts document mode:
 * following lines stream into saxes until every element is closed (pretty-printed events).
 * Splunk's own rule `LINE_BREAKER=([\r\n]+)<Event\sxmlns` is used for recovery: a line starting
 * with `<Event` while an event is still open means that event was cut off. After a syntax error
 * inside a multi-line event, lines are skipped up to the next `<Event` (one error, not a cascade).
 * An `<Events>` wrapper and an XML declaration at the start of a line are accepted and dropped.
 */

type Mode = 'line' | 'document' | 'resync'

const startsEvent = (t: string): boolean => t.startsWith('<Event') && (t.length === 6 || /[\s>/]/.test(t[6]!))
const preview = (t: string): string => JSON.stringify(t.length > 40 ? `${t.slice(0, 40)}…` : t)

export class WindowsXmlReader {
  private readonly strict = new StrictEventParser()
  private mode: Mode = 'line'
  private wrappers = 0
  private wrapperLine = 0
  /** Characters fed to saxes for the current multi-line event, capped like a line. */
  private documentChars = 0

  constructor(
    private readonly out: ItemSink,
    private readonly maxEventChars: number,
  ) {}

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

  line(raw: string, lineNo: number): void {
    const t = raw.trim()
    if (this.mode === 'document') return this.continueDocument(raw, t, lineNo)
    if (this.mode === 'resync') {
      if (!startsEvent(t)) {
        if (t.endsWith('</Events>') && this.wrappers > 0) this.wrappers--
        return
      }
      this.mode = 'line'
    }
    this.startLine(t, lineNo)
  }

  /** A line in between could not be read: an open multi-line event cannot be completed. */
  interrupt(lineNo: number): void {
    if (this.mode !== 'document') return
    this.error(this.strict.openEventLine ?? lineNo, `unexpected end of XML: <Event> not closed (line ${lineNo} is unreadable)`)
    this.strict.reset()
    this.mode = 'resync'
  }

  end(): void {
    if (this.mode === 'document') {
      const open = this.strict.openEventLine
      if (open !== null) this.error(open, 'unexpected end of XML: <Event> not closed')
      else this.finishDocument()
      this.strict.reset()
    }
    this.mode = 'line'
    if (this.wrappers > 0) this.error(this.wrapperLine, 'unexpected end of XML: <Events> not closed')
    this.wrappers = 0
  }

  private startLine(trimmed: string, lineNo: number): void {
    const t = this.stripWrappers(trimmed, lineNo)
    if (t === '') return
    if (t.startsWith('<Event') && t.endsWith('</Event>')) {
      const records = parseRegularLine(t)
      if (records !== null) {
        for (const record of records) this.out.push(windowsEventItem(record, lineNo))
        return
      }
      this.strict.begin(lineNo)
      this.strict.write(t)
      this.strict.finish()
      this.drain()
      return
    }
    if (t.charCodeAt(0) !== 60) return this.error(lineNo, `expected an XML <Event>, found ${preview(t)}`)
    this.mode = 'document'
    this.documentChars = 0
    this.strict.begin(lineNo)
    this.feed(t, lineNo)
  }

  private continueDocument(raw: string, t: string, lineNo: number): void {
    const open = this.strict.openEventLine
    if (open !== null && startsEvent(t)) {
      this.error(open, `unexpected end of XML: <Event> not closed (a new <Event> starts on line ${lineNo})`)
      this.strict.reset()
      this.mode = 'line'
      return this.startLine(t, lineNo)
    }
    let text = raw
    if (t.endsWith('</Events>') && this.wrappers > 0) {
      this.wrappers--
      text = raw.slice(0, raw.lastIndexOf('</Events>'))
    }
    this.feed(text, lineNo)
  }

  /** Streams one line of a multi-line event into saxes (keeping its whitespace: values may span lines). */
  private feed(text: string, lineNo: number): void {
    this.documentChars += text.length + 1
    if (this.documentChars > this.maxEventChars) {
      this.error(this.strict.openEventLine ?? lineNo, `XML event longer than ${this.maxEventChars} characters (still open at line ${lineNo}); skipped`)
      this.strict.reset()
      this.mode = 'resync'
      return
    }
    this.strict.write(`${text}\n`)
    if (this.drain()) {
      this.strict.reset()
      this.mode = 'resync'
    } else if (this.strict.depth === 0) {
      this.finishDocument()
      this.mode = 'line'
    }
  }

  private finishDocument(): void {
    this.strict.finish()
    this.drain()
  }

  /** Emits the events saxes completed and its error, if any; true when there was an error. */
  private drain(): boolean {
    for (const { record, line } of this.strict.events) this.out.push(windowsEventItem(record, line))
    this.strict.events = []
    const error = this.strict.error
    if (error === null) return false
    this.error(error.line, error.message)
    this.strict.error = null
    return true
  }

  private stripWrappers(t: string, lineNo: number): string {
    for (;;) {
      if (t.startsWith('<?xml')) {
        const end = t.indexOf('?>')
        if (end < 0) return t
        t = t.slice(end + 2).trimStart()
      } else if (t.startsWith('<Events>')) {
        if (this.wrappers++ === 0) this.wrapperLine = lineNo
        t = t.slice(8).trimStart()
      } else break
    }
    if (t.endsWith('</Events>')) {
      t = t.slice(0, -9).trimEnd()
      if (this.wrappers > 0) this.wrappers--
      else this.error(lineNo, 'unexpected </Events> without <Events>')
    }
    return t
  }

  private error(line: number, message: string): void {
    this.out.push({ kind: 'error', line, message })
  }
}
