import type { LiteralMatch, WhereNode } from '../detection/index.js'
import { columnOfDataModelField } from './columns.js'
import type { SqlParams } from './sql-params.js'
import { LIKE_ESCAPE, valuePatternOf, type ValuePattern } from './value-pattern.js'

/**
 * Translates a tstats WHERE tree into a Postgres boolean expression over `process_events`, with
 * the in-memory matcher's semantics (match/predicate.ts):
 *
 * - Values reach SQL only as bind parameters. A value without `*` is `lower(col) = $n`, a value
 *   with `*` is `lower(col) LIKE $n ESCAPE '\'`, `*` alone is `col IS NOT NULL`.
 * - Nulls. Every expression generated here is TRUE exactly when the engine says true, and FALSE
 *   or NULL otherwise — NULL only ever stands for "false". Comparisons are NULL only on a null
 *   column, where the engine says false (`f=v`, `f!=v` and `f IN (…)` all need the field).
 *   AND and OR keep that invariant (NULL OR TRUE is TRUE, NULL AND x is never TRUE) and WHERE
 *   drops NULL rows like FALSE ones. NOT would not (NOT NULL is NULL, but `NOT f=v` is true on a
 *   null field), so NOT becomes `(x) IS NOT TRUE`, which is two-valued.
 * - Fields that are not one of the 20 CIM columns are always null, as in the engine: comparisons
 *   on them are FALSE (so their NOT is TRUE).
 * - Comparisons are left bare (no COALESCE around them) so that a top-level conjunct such as
 *   `lower("process_name") = $2` can use the `(tenant_id, lower(process_name))` index.
 *
 * Case folding: the engine compares `value.toLowerCase()` with `pattern.toLowerCase()`; the
 * parameters here are folded by that same call (through compileWildcard), while the column
 * side is Postgres `lower(col)`. The result is therefore exact whenever the database's `lower()`
 * agrees with `toLowerCase()` on the stored values. That holds for all ASCII text under any
 * non-Turkic LC_CTYPE (Turkic/Azeri ICU or libc locales fold `I` to `ı`: do not use them). For
 * other characters it depends on the database's LC_CTYPE and Unicode version: with glibc's
 * C.UTF-8 (the test database) the per-character folds differ only for `İ` (U+0130, JS: `i̇`,
 * glibc: `i`) and letters added in Unicode 16–17, and, context-dependently, for a word-final
 * `Σ` (JS: `ς`, glibc: `σ`); with `LC_CTYPE=C` only ASCII is folded at all. Folding the column in
 * SQL with JS's tables instead would be exact, but no longer `lower(col)`, so the index could not
 * serve it; the integration test measures the difference on the test database.
 */
export function compileWhereToSql(where: WhereNode, params: SqlParams): string {
  switch (where.kind) {
    case 'all':
      return 'TRUE'
    case 'compare': {
      const column = columnOfDataModelField(where.field)
      if (column === null) return 'FALSE'
      const pattern = valuePatternOf(where.value)
      return where.op === 'eq' ? matching(column, pattern, params) : notMatching(column, pattern, params)
    }
    case 'in': {
      const column = columnOfDataModelField(where.field)
      return column === null ? 'FALSE' : matchingAny(column, where.values.map(valuePatternOf), params)
    }
    case 'literal': {
      const column = columnOfDataModelField(where.field)
      return column === null ? 'FALSE' : matchingLiterally(column, where.match, where.values, params)
    }
    case 'not':
      return `((${compileWhereToSql(where.operand, params)}) IS NOT TRUE)`
    case 'and':
      return joined(where.operands, 'AND', 'TRUE', params)
    case 'or':
      return joined(where.operands, 'OR', 'FALSE', params)
  }
}

/** `f=v`: true when the present value matches. */
function matching(column: string, p: ValuePattern, params: SqlParams): string {
  switch (p.kind) {
    case 'any':
      return `${column} IS NOT NULL`
    case 'equals':
      return `lower(${column}) = ${params.add(p.value)}`
    case 'like':
      return `lower(${column}) LIKE ${params.add(p.like)} ESCAPE ${LIKE_ESCAPE}`
    case 'never':
      return 'FALSE'
  }
}

/** `f!=v`: true when the value is present and does not match. */
function notMatching(column: string, p: ValuePattern, params: SqlParams): string {
  switch (p.kind) {
    case 'any':
      return 'FALSE'
    case 'equals':
      return `lower(${column}) <> ${params.add(p.value)}`
    case 'like':
      return `lower(${column}) NOT LIKE ${params.add(p.like)} ESCAPE ${LIKE_ESCAPE}`
    case 'never':
      return `${column} IS NOT NULL`
  }
}

/** `f IN (…)`: exact values as one `= ANY(array)` (still index-friendly), wildcards as LIKEs. */
function matchingAny(column: string, patterns: readonly ValuePattern[], params: SqlParams): string {
  if (patterns.some((p) => p.kind === 'any')) return `${column} IS NOT NULL`
  const exact = new Set<string>()
  const likes = new Set<string>()
  for (const p of patterns) {
    if (p.kind === 'equals') exact.add(p.value)
    else if (p.kind === 'like') likes.add(p.like)
  }
  const parts: string[] = []
  if (exact.size === 1) parts.push(matching(column, { kind: 'equals', value: [...exact][0]! }, params))
  else if (exact.size > 1) parts.push(`lower(${column}) = ANY(${params.add([...exact])}::text[])`)
  for (const like of likes) parts.push(matching(column, { kind: 'like', like }, params))
  if (parts.length === 0) return 'FALSE'
  return parts.length === 1 ? parts[0]! : `(${parts.join(' OR ')})`
}

/**
 * A literal comparison (rule exceptions): `=` / `= ANY(array)` for equality and strpos() for
 * containment, so no character of a value is ever read as a pattern (`*`, `%`, `_`, `\`).
 * Values are folded like the matcher's (toLowerCase); a value holding NUL can match no stored
 * text (see valuePatternOf) and is left out.
 */
function matchingLiterally(column: string, match: LiteralMatch, values: readonly string[], params: SqlParams): string {
  const folded = [...new Set(values.filter((v) => !v.includes('\u0000')).map((v) => v.toLowerCase()))]
  if (folded.length === 0) return 'FALSE'
  if (match === 'equals') {
    return folded.length === 1 ? `lower(${column}) = ${params.add(folded[0]!)}` : `lower(${column}) = ANY(${params.add(folded)}::text[])`
  }
  const parts = folded.map((v) => `strpos(lower(${column}), ${params.add(v)}) > 0`)
  return parts.length === 1 ? parts[0]! : `(${parts.join(' OR ')})`
}

function joined(operands: readonly WhereNode[], op: 'AND' | 'OR', empty: string, params: SqlParams): string {
  if (operands.length === 0) return empty
  if (operands.length === 1) return compileWhereToSql(operands[0]!, params)
  return `(${operands.map((o) => compileWhereToSql(o, params)).join(` ${op} `)})`
}
