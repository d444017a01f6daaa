/**
 * A copy of `s` that does not keep its source line alive and reads as fast as a fresh string.
 *
 * V8 represents a substring of 13+ characters as a view into the parent string, so a normalized
 * event would otherwise pin its whole raw line (KBs, two-byte if the line has any non-Latin-1
 * character) for as long as the event lives; with a batch of events in flight that doubled GC
 * time in the throughput runs.
 *
 * The copy is made by joining the value's two halves and searching the result once: V8 flattens
 * a joined string in place the first time it is searched (one flat copy of just the value, the
 * halves and the line let go), and the garbage collector then replaces every reference to the
 * joined string by the flat copy itself. The earlier form, `` ` ${s}`.slice(1) ``, also copied
 * but left a view into the copy, one indirection on every character read (detection reads the
 * command line of every event; the rule-scaling benchmark measured 30% more evaluation time).
 * test/unit/ingest/detach.test.ts holds V8 to letting the line go.
 */
export function detach(s: string): string {
  if (s.length < 13) return s
  const half = s.length >> 1
  const joined = s.slice(0, half) + s.slice(half)
  joined.indexOf('\u0000')
  return joined
}

export const detachOrNull = (s: string | null): string | null => (s === null ? null : detach(s))
