import type { Document, LineCounter } from 'yaml'
import type { z } from 'zod'
import type { IssueSeverity, RuleIssue } from '../errors.js'

/**
 * Builds RuleIssues for one YAML document, locating a field path in the file so that a message
 * points at the offending line; when the field is missing, the nearest existing parent is used.
 */
export class DocumentIssues {
  readonly issues: RuleIssue[] = []

  constructor(
    private readonly doc: Document,
    private readonly lineCounter: LineCounter,
    private readonly file: string | null,
    private readonly index: number,
  ) {}

  /** Records an issue at `path` (empty for the whole document). */
  add(severity: IssueSeverity, path: readonly (string | number)[], message: string): void {
    const where = this.locate(path)
    const field = path.length > 0 ? path.join('.') : null
    this.issues.push({
      severity,
      ...(this.file !== null ? { file: this.file } : {}),
      document: this.index,
      ...(field !== null ? { field } : {}),
      ...(where !== null ? { line: where.line, column: where.col } : {}),
      message: field === null ? message : `${field}: ${message}`,
    })
  }

  /** Records an issue at a known offset of the file (YAML syntax errors). */
  addAt(severity: IssueSeverity, offset: number, message: string): void {
    const where = this.lineCounter.linePos(offset)
    const file = this.file !== null ? { file: this.file } : {}
    this.issues.push({ severity, ...file, document: this.index, line: where.line, column: where.col, message })
  }

  /** Records every zod issue, rewording "received undefined" as a missing required field. */
  addZodIssues(error: z.ZodError, data: unknown): void {
    for (const issue of error.issues) {
      const path = issue.path.filter((p): p is string | number => typeof p !== 'symbol')
      const missing = (issue.code === 'invalid_type' || issue.code === 'invalid_union') && valueAt(data, path) === undefined
      this.add('error', path, missing ? 'is required' : issue.message)
    }
  }

  private locate(path: readonly (string | number)[]): { line: number; col: number } | null {
    for (let n = path.length; n >= 0; n--) {
      const node = n === 0 ? this.doc.contents : this.doc.getIn(path.slice(0, n), true)
      const range = (node as { range?: [number, number, number] } | null | undefined)?.range
      if (range !== undefined) return this.lineCounter.linePos(range[0])
    }
    return null
  }
}

function valueAt(data: unknown, path: readonly (string | number)[]): unknown {
  let v = data
  for (const key of path) {
    if (v === null || typeof v !== 'object') return undefined
    v = (v as Record<string | number, unknown>)[key]
  }
  return v
}
