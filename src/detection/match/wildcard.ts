/**
 * Splunk's value matching: case-insensitive, `*` = any run of characters (possibly empty),
 * anchored at both ends. Patterns are compiled once per rule into a matcher that expects an
 * already lower-cased value (the event context lower-cases each field once per event), using
 * string primitives instead of RegExp for the shapes ESCU uses: exact, prefix, suffix, contains.
 */

/** The shape a pattern was compiled to; exposed for tests and for backends that translate patterns. */
export type WildcardShape = 'any' | 'exact' | 'prefix' | 'suffix' | 'contains' | 'general'

/** A compiled pattern. `test` must be given a lower-cased value. */
export interface WildcardMatcher {
  readonly shape: WildcardShape
  /** The lower-cased pattern with runs of `*` collapsed. */
  readonly pattern: string
  readonly test: (loweredValue: string) => boolean
}

/** Compiles `pattern` (already unescaped; every `*` is a wildcard). */
export function compileWildcard(pattern: string): WildcardMatcher {
  const p = pattern.toLowerCase().replace(/\*+/g, '*')
  const parts = p.split('*')
  if (parts.length === 1) return { shape: 'exact', pattern: p, test: (v) => v === p }
  if (p === '*') return { shape: 'any', pattern: p, test: () => true }
  if (parts.length === 2) {
    const [head, tail] = parts as [string, string]
    if (tail === '') return { shape: 'prefix', pattern: p, test: (v) => v.startsWith(head) }
    if (head === '') return { shape: 'suffix', pattern: p, test: (v) => v.endsWith(tail) }
  }
  if (parts.length === 3 && parts[0] === '' && parts[2] === '') {
    const needle = parts[1]!
    return { shape: 'contains', pattern: p, test: (v) => v.includes(needle) }
  }
  return { shape: 'general', pattern: p, test: generalMatcher(parts) }
}

/**
 * `head*mid1*mid2*tail`: head must be a prefix, tail a suffix of what is left, and each middle
 * segment is taken at its leftmost occurrence. Leftmost-first is optimal for `*`-only globs, because
 * an earlier match of a segment never leaves less room for the segments after it.
 */
function generalMatcher(parts: readonly string[]): (v: string) => boolean {
  const head = parts[0]!
  const tail = parts[parts.length - 1]!
  const middle = parts.slice(1, -1).filter((s) => s !== '')
  const minLength = head.length + tail.length + middle.reduce((n, s) => n + s.length, 0)
  return (v) => {
    if (v.length < minLength || !v.startsWith(head)) return false
    let at = head.length
    for (const segment of middle) {
      const found = v.indexOf(segment, at)
      if (found < 0) return false
      at = found + segment.length
    }
    return v.length - tail.length >= at && v.endsWith(tail)
  }
}
