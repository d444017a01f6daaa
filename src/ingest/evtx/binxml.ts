import { EvtxFormatError } from './evtx-format-error.js'
import { renderValue, VALUE_TYPE } from './values.js'

/**
 * Binary XML (MS-EVEN6 §3.1.4.7) of one EVTX chunk, rendered back to the event's XML text — the
 * same text Windows shows (`wevtutil qe … /f:xml`), which the XML reader then parses like any
 * other export. Names, and template definitions with their substitutions, are shared by the
 * records of a chunk through chunk-relative offsets; both are cached per chunk. A fragment is
 * first compiled into its markup as literal text with holes for its substitutions (and for
 * attributes an optional value may leave out), then run with the values: a template definition
 * is compiled once per chunk, so each record that uses it costs only its values.
 *
 * Every read is bounds-checked against the chunk: bytes that break the format raise an
 * EvtxFormatError for their record alone. Templates and nested BinXML values may not nest deeper
 * than MAX_DEPTH, nor a template instance refer to itself, so crafted input cannot recurse forever.
 */

const TOKEN = {
  END_OF_STREAM: 0x00,
  OPEN_START_ELEMENT: 0x01,
  CLOSE_START_ELEMENT: 0x02,
  CLOSE_EMPTY_ELEMENT: 0x03,
  END_ELEMENT: 0x04,
  VALUE: 0x05,
  ATTRIBUTE: 0x06,
  CDATA: 0x07,
  CHAR_REF: 0x08,
  ENTITY_REF: 0x09,
  PI_TARGET: 0x0a,
  PI_DATA: 0x0b,
  TEMPLATE_INSTANCE: 0x0c,
  NORMAL_SUBSTITUTION: 0x0d,
  OPTIONAL_SUBSTITUTION: 0x0e,
  FRAGMENT_HEADER: 0x0f,
} as const
/** Set on a token that is followed by more of its kind (attributes, or more data). */
const MORE = 0x40
const MAX_DEPTH = 16
/**
 * Bounds on one record's rendering. Templates instantiated inside templates could multiply the
 * output (a BinXML "billion laughs"): a real event renders to a few KiB from a few instances.
 */
const MAX_RECORD_CHARS = 8 * 1024 * 1024
const MAX_TEMPLATE_INSTANCES = 4096

/** A substitution value of a template instance: its type and where its bytes are. */
interface Substitution {
  readonly type: number
  readonly start: number
  readonly size: number
}

/** What a fragment is rendered within: the substitutions of its template instance, if any. */
interface Scope {
  readonly substitutions: readonly Substitution[] | null
  readonly depth: number
  /** Template definitions being rendered (a definition may not contain an instance of itself). */
  readonly templates: readonly number[]
}

/**
 * Characters XML 1.0 cannot hold at all (not even as references): control characters but tab and
 * line breaks, unpaired surrogates, U+FFFE/U+FFFF. Binary values logged as text can contain them;
 * they become U+FFFD so the event can still be read.
 */
const NOT_XML = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g
const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' }
/** Anything escapeText or escapeAttribute would change: most values hold none of it and are returned as they are. */
const NEEDS_ESCAPING = /[&<>"\u0000-\u0008\u000b\u000c\u000e-\u001f\ud800-\udfff\ufffe\uffff]/
const escapeText = (s: string): string => (NEEDS_ESCAPING.test(s) ? s.replace(/[&<>]/g, (c) => ESCAPES[c]!).replace(NOT_XML, '\ufffd') : s)
const escapeAttribute = (s: string): string => (NEEDS_ESCAPING.test(s) ? s.replace(/[&<>"]/g, (c) => ESCAPES[c]!).replace(NOT_XML, '\ufffd') : s)
const isAttributeValue = (type: number): boolean =>
  type === TOKEN.VALUE || type === TOKEN.NORMAL_SUBSTITUTION || type === TOKEN.OPTIONAL_SUBSTITUTION || type === TOKEN.CHAR_REF || type === TOKEN.ENTITY_REF

/** A compiled fragment's steps. */
type Part = { readonly kind: 'text'; readonly text: string; readonly raw: boolean } | { readonly kind: 'substitution'; readonly index: number; readonly optional: boolean }
type Op =
  | { readonly kind: 'text'; readonly text: string }
  | { readonly kind: 'substitution'; readonly index: number; readonly optional: boolean }
  | { readonly kind: 'attribute'; readonly name: string; readonly parts: readonly Part[] }
  /** A template instance token at `at`, its values before `end`. */
  | { readonly kind: 'instance'; readonly at: number; readonly end: number }

/** Where a template instance's definition and values are. */
interface InstanceLayout {
  readonly definition: number
  readonly body: number
  readonly bodyEnd: number
  readonly substitutions: Substitution[]
  /** Where the instance (its values) ends. */
  readonly end: number
}

export class ChunkRenderer {
  private readonly names = new Map<number, string>()
  /** Compiled template definitions by chunk offset. */
  private readonly programs = new Map<number, Op[]>()
  /** What the record being rendered may still produce. */
  private charsLeft = 0
  private instancesLeft = 0

  constructor(private readonly chunk: Buffer) {}

  /** The XML text of the BinXML in `chunk[start, end)` (one record's event). */
  render(start: number, end: number): string {
    const out: string[] = []
    this.charsLeft = MAX_RECORD_CHARS
    this.instancesLeft = MAX_TEMPLATE_INSTANCES
    this.run(this.compile(start, end, false), { substitutions: null, depth: 0, templates: [] }, out)
    return out.join('')
  }

  private emit(out: string[], text: string): void {
    this.charsLeft -= text.length
    if (this.charsLeft < 0) throw new EvtxFormatError(`the record renders to more than ${MAX_RECORD_CHARS} characters`)
    out.push(text)
  }

  /**
   * The tokens of `chunk[start, end)`, up to the end of the stream, as a program. Elements of a
   * template definition (`inTemplate`) carry a dependency identifier that other elements do not.
   * Malformed bytes raise EvtxFormatError.
   */
  private compile(start: number, end: number, inTemplate: boolean): Op[] {
    const ops: Op[] = []
    const open: string[] = []
    const text = (t: string): void => {
      const last = ops.at(-1)
      if (last?.kind === 'text') ops[ops.length - 1] = { kind: 'text', text: last.text + t }
      else ops.push({ kind: 'text', text: t })
    }
    let p = start
    while (p < end) {
      const token = this.u8(p, end)
      const type = token & 0x0f
      switch (type) {
        case TOKEN.END_OF_STREAM:
          return ops
        case TOKEN.FRAGMENT_HEADER:
          p += 4
          break
        case TOKEN.OPEN_START_ELEMENT: {
          // Token, [dependency id], data size (the element is read token by token instead), name.
          p += inTemplate ? 7 : 5
          const name = this.nameAt(p, end)
          p = name.next
          if ((token & MORE) !== 0) p += 4 // attribute list size
          text(`<${name.text}`)
          open.push(name.text)
          while (p < end && (this.u8(p, end) & 0x0f) === TOKEN.ATTRIBUTE) {
            const attribute = this.nameAt(p + 1, end)
            p = attribute.next
            const parts: Part[] = []
            while (p < end && isAttributeValue(this.u8(p, end) & 0x0f)) {
              const part = this.part(p, end)
              parts.push(part.part)
              p = part.next
            }
            ops.push({ kind: 'attribute', name: attribute.text, parts })
          }
          break
        }
        case TOKEN.CLOSE_START_ELEMENT:
          text('>')
          p += 1
          break
        case TOKEN.CLOSE_EMPTY_ELEMENT:
          if (open.pop() === undefined) throw new EvtxFormatError(`an element closed at ${p} that was never opened`)
          text('/>')
          p += 1
          break
        case TOKEN.END_ELEMENT: {
          const name = open.pop()
          if (name === undefined) throw new EvtxFormatError(`an element ended at ${p} that was never opened`)
          text(`</${name}>`)
          p += 1
          break
        }
        case TOKEN.VALUE:
        case TOKEN.CDATA:
        case TOKEN.CHAR_REF:
        case TOKEN.ENTITY_REF:
        case TOKEN.NORMAL_SUBSTITUTION:
        case TOKEN.OPTIONAL_SUBSTITUTION: {
          const { part, next } = this.part(p, end)
          if (part.kind === 'text') text(part.raw ? part.text : escapeText(part.text))
          else ops.push(part)
          p = next
          break
        }
        case TOKEN.PI_TARGET:
          p = this.nameAt(p + 1, end).next
          break
        case TOKEN.PI_DATA:
          p = p + 3 + 2 * this.u16(p + 1, end)
          break
        case TOKEN.TEMPLATE_INSTANCE: {
          const next = this.instanceLayout(p, end).end
          ops.push({ kind: 'instance', at: p, end })
          p = next
          break
        }
        default:
          throw new EvtxFormatError(`unknown BinXML token 0x${token.toString(16)} at ${p}`)
      }
    }
    return ops
  }

  /** One value token at `p`: literal text (`raw`: already markup, a character or entity reference), or a substitution's hole. */
  private part(p: number, end: number): { part: Part; next: number } {
    const type = this.u8(p, end) & 0x0f
    switch (type) {
      case TOKEN.VALUE: {
        const valueType = this.u8(p + 1, end)
        if (valueType !== VALUE_TYPE.STRING) throw new EvtxFormatError(`a value token of type 0x${valueType.toString(16)} at ${p}`)
        const next = p + 4 + 2 * this.u16(p + 2, end)
        this.need(next, end)
        return { part: { kind: 'text', text: this.chunk.toString('utf16le', p + 4, next), raw: false }, next }
      }
      case TOKEN.CDATA: {
        const next = p + 3 + 2 * this.u16(p + 1, end)
        this.need(next, end)
        return { part: { kind: 'text', text: this.chunk.toString('utf16le', p + 3, next), raw: false }, next }
      }
      case TOKEN.CHAR_REF:
        return { part: { kind: 'text', text: `&#${this.u16(p + 1, end)};`, raw: true }, next: p + 3 }
      case TOKEN.ENTITY_REF: {
        const name = this.nameAt(p + 1, end)
        return { part: { kind: 'text', text: `&${name.text};`, raw: true }, next: name.next }
      }
      default:
        // A substitution: index u16, value type u8 (the instance's own type is the one used).
        return { part: { kind: 'substitution', index: this.u16(p + 1, end), optional: type === TOKEN.OPTIONAL_SUBSTITUTION }, next: p + 4 }
    }
  }

  /** Renders a program with the substitutions of `scope`; an optional value that is null leaves its attribute out. */
  private run(program: readonly Op[], scope: Scope, out: string[]): void {
    for (const op of program) {
      if (op.kind === 'text') this.emit(out, op.text)
      else if (op.kind === 'instance') this.templateInstance(op.at, op.end, scope, out)
      else if (op.kind === 'substitution') {
        const value = this.substitute(op, scope)
        if (value === null) continue
        if (typeof value === 'string') this.emit(out, escapeText(value))
        else this.nested(value, scope, out)
      } else {
        let text = ''
        let present = false
        for (const part of op.parts) {
          if (part.kind === 'text') {
            present = true
            text += part.raw ? part.text : escapeAttribute(part.text)
            continue
          }
          const value = this.substitute(part, scope)
          if (value === null && part.optional) continue
          present = true
          if (value === null) continue
          text += typeof value === 'string' ? escapeAttribute(value) : this.renderNested(value, scope)
          if (text.length > this.charsLeft) throw new EvtxFormatError(`the record renders to more than ${MAX_RECORD_CHARS} characters`)
        }
        if (present) this.emit(out, ` ${op.name}="${text}"`)
      }
    }
  }

  /** The value of a substitution hole: its text, nested BinXML to render, or null when it renders as nothing. */
  private substitute(hole: { index: number; optional: boolean }, scope: Scope): string | Substitution | null {
    const substitution = scope.substitutions?.[hole.index]
    if (substitution === undefined) throw new EvtxFormatError(`substitution ${hole.index} has no value`)
    if (substitution.type === VALUE_TYPE.NULL || (hole.optional && substitution.size === 0)) return null
    if (substitution.type === VALUE_TYPE.BINXML) return substitution
    return renderValue(this.chunk, substitution.type, substitution.start, substitution.size)
  }

  /** A substitution value that is itself BinXML (e.g. an event's UserData): its elements carry no dependency identifier. */
  private nested(value: Substitution, scope: Scope, out: string[]): void {
    if (scope.depth >= MAX_DEPTH) throw new EvtxFormatError(`BinXML nested deeper than ${MAX_DEPTH} levels`)
    const end = value.start + value.size
    this.run(this.compile(value.start, end, false), { substitutions: null, depth: scope.depth + 1, templates: scope.templates }, out)
  }

  private renderNested(value: Substitution, scope: Scope): string {
    const out: string[] = []
    this.nested(value, scope, out)
    return out.join('')
  }

  /**
   * A template instance: the definition (inline the first time a chunk uses it, else at an
   * earlier offset), then the values it is instantiated with — a count, a (size, type) descriptor
   * each, and the values back to back.
   */
  private instanceLayout(p: number, end: number): InstanceLayout {
    const definition = this.u32(p + 6, end)
    let q = p + 10
    const dataSize = this.u32(definition + 20, this.chunk.length)
    const body = definition + 24
    this.need(body + dataSize, this.chunk.length)
    // An inline definition is skipped over: its body is compiled from `body`.
    if (definition === q) q = body + dataSize
    const count = this.u32(q, end)
    q += 4
    this.need(q + 4 * count, end)
    const substitutions: Substitution[] = []
    let at = q + 4 * count
    for (let i = 0; i < count; i++) {
      const size = this.u16(q + 4 * i, end)
      substitutions.push({ type: this.u8(q + 4 * i + 2, end), start: at, size })
      at += size
    }
    this.need(at, end)
    return { definition, body, bodyEnd: body + dataSize, substitutions, end: at }
  }

  private templateInstance(p: number, end: number, scope: Scope, out: string[]): void {
    if (scope.depth >= MAX_DEPTH) throw new EvtxFormatError(`templates nested deeper than ${MAX_DEPTH} levels`)
    if (--this.instancesLeft < 0) throw new EvtxFormatError(`the record instantiates more than ${MAX_TEMPLATE_INSTANCES} templates`)
    const layout = this.instanceLayout(p, end)
    if (scope.templates.includes(layout.definition)) throw new EvtxFormatError(`template at ${layout.definition} contains an instance of itself`)
    let program = this.programs.get(layout.definition)
    if (program === undefined) {
      program = this.compile(layout.body, layout.bodyEnd, true)
      this.programs.set(layout.definition, program)
    }
    this.run(program, { substitutions: layout.substitutions, depth: scope.depth + 1, templates: [...scope.templates, layout.definition] }, out)
  }

  /** The name whose structure is at chunk offset `u32(p)`; `next` skips it when it is inline at `p + 4`. */
  private nameAt(p: number, end: number): { text: string; next: number } {
    const offset = this.u32(p, end)
    const text = this.nameText(offset)
    const next = p + 4
    return { text, next: offset === next ? next + 10 + 2 * text.length : next }
  }

  /** A name structure: next offset u32, hash u16, length u16 (characters), UTF-16 text, NUL. */
  private nameText(offset: number): string {
    let text = this.names.get(offset)
    if (text === undefined) {
      const chars = this.u16(offset + 6, this.chunk.length)
      this.need(offset + 8 + 2 * chars, this.chunk.length)
      text = this.chunk.toString('utf16le', offset + 8, offset + 8 + 2 * chars)
      if (!/^[A-Za-z_][\w.:-]*$/.test(text)) throw new EvtxFormatError(`an element or attribute name that is not an XML name at ${offset}`)
      this.names.set(offset, text)
    }
    return text
  }

  private need(to: number, end: number): void {
    if (to > end) throw new EvtxFormatError(`BinXML runs past the end of its record (${to} > ${end})`)
  }

  private u8(p: number, end: number): number {
    this.need(p + 1, end)
    return this.chunk[p]!
  }

  private u16(p: number, end: number): number {
    this.need(p + 2, end)
    return this.chunk.readUInt16LE(p)
  }

  private u32(p: number, end: number): number {
    this.need(p + 4, end)
    return this.chunk.readUInt32LE(p)
  }
}
