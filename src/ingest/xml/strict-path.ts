import { SaxesParser, type SaxesTagPlain } from 'saxes'
import { LineBytes } from '../bytes/line-bytes.js'
import { newWinEventRecord, setAttr, setData, setText, SYSTEM_TEXT, type WinEventRecord } from './win-event.js'

/**
 * The strict path: saxes (well-formedness checked, errors with line:column) collecting the same
 * records as the fast path. One instance is reused; `begin` starts a new fragment whose first
 * line is `firstLine` of the upload, so positions in errors are upload positions. Fragment mode
 * allows several events and an `<Events>` wrapper; text outside events is rejected here because
 * saxes' fragment mode would accept it. A DOCTYPE is rejected (saxes never reads a DTD or
 * expands a declared entity; the error just says so precisely). Each event also gets the bytes of
 * the input it spans, from saxes' stream position and the shared LineBytes of the line being fed.
 */

export interface ParsedEvent {
  record: WinEventRecord
  line: number
  /** Byte offset of `line` in the upload. */
  offset: number
  /** Where the event's text, `<Event` to `</Event>`, is in the input (bytes). */
  rawOffset: number
  rawLength: number
}

export interface XmlProblem {
  line: number
  offset: number
  message: string
}

/** Lines whose offsets are remembered for error positions (direct-mapped by line number). */
const RECENT_LINES = 256

export const DOCTYPE_MESSAGE = 'DOCTYPE not allowed: document type and entity declarations are never read or expanded'

type Capture = { kind: 'system'; element: string } | { kind: 'data'; name: string }

export class StrictEventParser {
  private readonly parser = new SaxesParser({ xmlns: false, fragment: true, position: true })
  private lineOffset = 0
  /** The fragment's first line and its byte offset, and the offsets of recently written lines. */
  private firstLine = 1
  private firstOffset = 0
  private lastWritten = 0
  private readonly recentLines = new Array<number>(RECENT_LINES).fill(0)
  private readonly recentOffsets = new Array<number>(RECENT_LINES).fill(0)
  private stack: string[] = []
  private event: WinEventRecord | null = null
  private eventDepth = 0
  private eventLine = 0
  private eventOffset = 0
  private eventRawStart = 0
  /** Where the `<` of the tag being opened is (bytes), taken only while no event is open. */
  private tagRawStart = 0
  /**
   * Characters written since the parser was last (re)started, the chunk being written and the
   * column of the line it starts at: saxes' position minus `written` is the index in `chunk`.
   * That holds because no chunk ends with CR or a high surrogate (every chunk ends with `\n` or
   * `>`), which saxes would hold back for the next one.
   */
  private written = 0
  private chunk = ''
  private chunkColumn = 0
  private tagLine = 0
  private section = ''
  private capture: Capture | null = null
  private captureDepth = 0
  private text = ''
  private muted = false
  private dirty = false
  /** Events completed since `begin`, in order. */
  events: ParsedEvent[] = []
  /** The first error since `begin`; later ones are consequences. */
  error: XmlProblem | null = null

  /** `lineBytes`: the byte positions of the line each `write` comes from (set by the line splitter). */
  constructor(private readonly lineBytes: LineBytes = new LineBytes()) {
    const p = this.parser
    p.on('opentagstart', () => {
      this.tagLine = p.line
      if (this.event === null) this.tagRawStart = this.lineBytes.at(this.chunkColumn + this.chunk.lastIndexOf('<', p.position - this.written - 1))
    })
    p.on('opentag', (tag) => this.open(tag))
    p.on('closetag', () => this.close())
    p.on('text', (t) => this.onText(t))
    p.on('cdata', (t) => this.onText(t))
    p.on('error', (err) => this.fail(err.message))
  }

  /** Starts a new fragment; the parser's line 1 is the upload's `firstLine`, at byte `firstOffset`. */
  begin(firstLine: number, firstOffset: number): void {
    if (this.dirty) this.reset()
    this.lineOffset = firstLine - 1
    this.firstLine = firstLine
    this.firstOffset = firstOffset
    this.lastWritten = firstLine
    // The parser was closed since (finish or reset): its stream position starts again at 0.
    this.written = 0
    this.stack = []
    this.event = null
    this.capture = null
    this.events = []
    this.error = null
  }

  /**
   * Feeds `text`, which starts upload line `line` at byte `offset` (one line, or a line's start),
   * at character `column` of that line; it must end with `\n` or `>` (see `written`).
   */
  write(text: string, line: number, offset: number, column = 0): void {
    const slot = line % RECENT_LINES
    this.recentLines[slot] = line
    this.recentOffsets[slot] = offset
    this.lastWritten = line
    this.dirty = true
    this.chunk = text
    this.chunkColumn = column
    this.parser.write(text)
    this.written += text.length
  }

  /** The byte offset of an upload line of this fragment; an unknown one falls back to the fragment start. */
  private position(line: number): { line: number; offset: number } {
    const slot = line % RECENT_LINES
    if (line >= this.firstLine && line <= this.lastWritten && this.recentLines[slot] === line) return { line, offset: this.recentOffsets[slot]! }
    return { line: this.firstLine, offset: this.firstOffset }
  }

  /** Ends the fragment: unclosed elements become an error. */
  finish(): void {
    this.dirty = false
    this.parser.close()
  }

  /** Drops whatever is in progress without reporting it (after an error, or on abandon). */
  reset(): void {
    this.muted = true
    this.parser.close()
    this.muted = false
    this.dirty = false
    this.stack = []
    this.event = null
  }

  /** Whether an `<Event>` is open, and the upload line where it started. */
  get openEventLine(): number | null {
    return this.event === null ? null : this.eventLine
  }

  get openEventOffset(): number {
    return this.eventOffset
  }

  /** The line and byte offset where the current fragment began. */
  get fragmentStart(): { line: number; offset: number } {
    return { line: this.firstLine, offset: this.firstOffset }
  }

  get depth(): number {
    return this.stack.length
  }

  private open(tag: SaxesTagPlain): void {
    const depth = this.stack.length
    this.stack.push(tag.name)
    if (this.event === null) {
      if (tag.name === 'Events' && this.stack.every((n) => n === 'Events')) return
      if (tag.name !== 'Event') {
        this.parser.fail(`unexpected <${tag.name}> outside <Event>`)
        return
      }
      this.event = newWinEventRecord()
      this.eventDepth = depth
      const at = this.position(this.tagLine + this.lineOffset)
      this.eventLine = at.line
      this.eventOffset = at.offset
      this.eventRawStart = this.tagRawStart
      return
    }
    const level = depth - this.eventDepth
    if (level === 1) this.section = tag.name
    if (level !== 2 || this.capture !== null) return
    if (this.section === 'System') {
      for (const [name, value] of Object.entries(tag.attributes)) setAttr(this.event, tag.name, name, value)
      if (SYSTEM_TEXT[tag.name] !== undefined) this.startCapture({ kind: 'system', element: tag.name }, depth)
    } else if (this.section === 'EventData' && tag.name === 'Data') {
      const name = tag.attributes['Name']
      if (name !== undefined) this.startCapture({ kind: 'data', name }, depth)
    }
  }

  private startCapture(capture: Capture, depth: number): void {
    this.capture = capture
    this.captureDepth = depth
    this.text = ''
  }

  private close(): void {
    const depth = this.stack.length - 1
    this.stack.pop()
    const event = this.event
    if (event === null) return
    const capture = this.capture
    if (capture !== null && depth === this.captureDepth) {
      if (capture.kind === 'system') setText(event, capture.element, this.text)
      else setData(event, capture.name, this.text)
      this.capture = null
    }
    if (depth === this.eventDepth) {
      if (this.error === null) {
        // The closing tag's `>` was just read, in the chunk being written.
        const end = this.lineBytes.at(this.chunkColumn + this.parser.position - this.written)
        this.events.push({ record: event, line: this.eventLine, offset: this.eventOffset, rawOffset: this.eventRawStart, rawLength: end - this.eventRawStart })
      }
      this.event = null
    }
  }

  private onText(t: string): void {
    if (this.capture !== null) this.text += t
    else if (this.event === null && this.error === null && !this.muted) {
      const start = t.search(/\S/)
      if (start < 0) return
      // saxes reports text when it ends; the error belongs to the line where it starts.
      let newlines = 0
      for (let i = t.indexOf('\n', start); i >= 0; i = t.indexOf('\n', i + 1)) newlines++
      const line = this.parser.line - newlines + this.lineOffset
      this.error = { ...this.position(line), message: `XML error at line ${line}: text outside <Event>: ${JSON.stringify(t.trim().slice(0, 40))}` }
    }
  }

  private fail(message: string): void {
    if (this.muted || this.error !== null) return
    const m = /^(\d+):(\d+): (.*)$/s.exec(message)
    const line = m ? Number(m[1]) + this.lineOffset : this.lineOffset + 1
    const reason = m?.[3] === 'inappropriately located doctype declaration.' ? DOCTYPE_MESSAGE : m?.[3]
    const text = m ? `XML error at line ${line}, column ${Number(m[2])}: ${reason}` : message
    const at = this.event === null ? this.position(line) : { line: this.eventLine, offset: this.eventOffset }
    this.error = { ...at, message: text }
  }
}
