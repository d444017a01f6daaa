/**
 * Errors of the detection engine. A search error always carries a 1-based line and column inside
 * the search text, so that a rule author can find the construct; an import issue carries the YAML
 * file, document and field path instead. Both stay plain data so that callers can log or store them.
 */

/** A 1-based line/column inside a text, plus the 0-based offset it was computed from. */
export interface SourcePosition {
  readonly offset: number
  readonly line: number
  readonly column: number
}

/** Where a rule came from, attached to errors when the caller knows it. */
export interface RuleOrigin {
  readonly file?: string
  readonly document?: number
  readonly ruleName?: string
}

/** Computes the 1-based line and column of `offset` in `text` (`\r\n` counts as one line break). */
export function positionAt(text: string, offset: number): SourcePosition {
  let line = 1
  let lineStart = 0
  const end = Math.min(offset, text.length)
  for (let i = 0; i < end; i++) {
    if (text.charCodeAt(i) === 10) {
      line++
      lineStart = i + 1
    }
  }
  return { offset, line, column: offset - lineStart + 1 }
}

/** A search that cannot be compiled: the reason, its position in the search text and the rule's origin. */
export class RuleSyntaxError extends Error {
  override readonly name = 'RuleSyntaxError'
  readonly line: number
  readonly column: number
  readonly reason: string
  readonly origin: RuleOrigin

  constructor(reason: string, position: SourcePosition, origin: RuleOrigin = {}) {
    super(formatSyntaxMessage(reason, position, origin))
    this.reason = reason
    this.line = position.line
    this.column = position.column
    this.origin = origin
  }

  /** The same error attributed to a rule (compileRule knows the origin, the parser does not). */
  withOrigin(origin: RuleOrigin): RuleSyntaxError {
    return new RuleSyntaxError(this.reason, { offset: 0, line: this.line, column: this.column }, origin)
  }
}

function formatSyntaxMessage(reason: string, pos: SourcePosition, origin: RuleOrigin): string {
  const where: string[] = []
  if (origin.file !== undefined) where.push(origin.document === undefined ? origin.file : `${origin.file}#${origin.document}`)
  if (origin.ruleName !== undefined) where.push(`rule "${origin.ruleName}"`)
  const prefix = where.length > 0 ? `${where.join(', ')}: ` : ''
  return `${prefix}search line ${pos.line}, column ${pos.column}: ${reason}`
}

/** Severity of an import issue: errors drop the document, warnings keep it. */
export type IssueSeverity = 'error' | 'warning'

/** One problem found while importing a YAML stream; collected, never thrown. */
export interface RuleIssue {
  readonly severity: IssueSeverity
  /** The file name the importer was given, if any. */
  readonly file?: string
  /** 0-based index of the YAML document in the stream. */
  readonly document: number
  /** Field path inside the document, e.g. `tags.mitre_attack_id.2`; absent for the whole document. */
  readonly field?: string
  /** 1-based position in the YAML file, when it could be located. */
  readonly line?: number
  readonly column?: number
  /** Self-contained text, prefixed with the field path when there is one. */
  readonly message: string
}
