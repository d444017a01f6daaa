import { compileWildcard } from '../detection/index.js'

/**
 * What one SPL value (`ngrok.exe`, `*http*`, `*`) asks of a lower-cased column, decided by the
 * engine's own compileWildcard so that case folding and `*` handling are the matcher's exactly:
 * the pattern is folded by the same `String.prototype.toLowerCase` call the in-memory matcher
 * makes, and the column side is `lower(col)` (see where-to-sql.ts for when the two folds agree).
 */
export type ValuePattern =
  /** `*`: any present value. */
  | { readonly kind: 'any' }
  /** No wildcard: `lower(col) = value`. */
  | { readonly kind: 'equals'; readonly value: string }
  /** Some `*`: `lower(col) LIKE like ESCAPE '\'`. */
  | { readonly kind: 'like'; readonly like: string }
  /** Contains NUL, which stored text can never hold (and Postgres cannot bind): matches nothing. */
  | { readonly kind: 'never' }

/**
 * The escape character of every generated LIKE, spelled as the SQL literal after ESCAPE. Explicit,
 * so no server default is relied on; `'\'` is one backslash under standard_conforming_strings
 * (on by default since Postgres 9.1).
 */
export const LIKE_ESCAPE = "'\\'"

/** Classifies an SPL value (already unescaped; every `*` a wildcard). */
export function valuePatternOf(value: string): ValuePattern {
  const m = compileWildcard(value)
  // COPY drops NUL from stored values (store/event-copy.ts), so a NUL in a literal part can
  // never match what is in the table; binding it would make Postgres reject the whole query.
  if (m.pattern.includes('\u0000')) return { kind: 'never' }
  if (m.shape === 'any') return { kind: 'any' }
  if (m.shape === 'exact') return { kind: 'equals', value: m.pattern }
  return { kind: 'like', like: likePatternOf(m.pattern) }
}

/**
 * A lower-cased SPL glob as a LIKE pattern: `%`, `_` and the escape `\` are escaped so they
 * match themselves, and `*` (already collapsed into single stars) becomes `%`. LIKE is anchored
 * at both ends, like Splunk's wildcards.
 */
export function likePatternOf(loweredGlob: string): string {
  let out = ''
  for (const ch of loweredGlob) {
    if (ch === '*') out += '%'
    else if (ch === '%' || ch === '_' || ch === '\\') out += `\\${ch}`
    else out += ch
  }
  return out
}
