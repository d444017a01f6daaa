/**
 * Why `JSON.parse` rejected a text, with where: V8's reason plus the index of the bad character
 * (null when it cannot be told). "Unexpected token" messages carry no position (they echo the
 * text instead), so the index is found by bisecting for the longest prefix that is still valid;
 * this runs only for bad input, and only up to `MAX_BISECT_CHARS`.
 */

const MAX_BISECT_CHARS = 64 * 1024

/** Whether `prefix` could still begin a valid JSON text (V8 only complains about its end). */
function validSoFar(prefix: string): boolean {
  try {
    JSON.parse(prefix)
    return true
  } catch (err) {
    const message = err instanceof Error ? err.message : ''
    const at = / at position (\d+)/.exec(message)
    return message.startsWith('Unexpected end of JSON input') || (at !== null && Number(at[1]) >= prefix.length)
  }
}

export function jsonError(text: string, err: unknown): { reason: string; index: number | null } {
  const message = err instanceof Error ? err.message : String(err)
  const at = / in JSON at position (\d+)/.exec(message)
  if (at !== null) return { reason: message.replace(/ in JSON at position \d+.*$/s, ''), index: Number(at[1]) }
  const reason = message.replace(/, (?:\.\.\.)?".*" is not valid JSON$/s, '')
  // Each probe re-parses a prefix; keep that affordable on a huge garbage text.
  if (text.length > MAX_BISECT_CHARS) return { reason, index: null }
  let good = 0
  let bad = text.length
  while (bad - good > 1) {
    const mid = (good + bad) >>> 1
    if (validSoFar(text.slice(0, mid))) good = mid
    else bad = mid
  }
  return { reason, index: bad - 1 }
}

/**
 * The message for a JSON text that starts at `line`, column `column` (0-based) of the upload:
 * `invalid JSON: <reason> at column N` for a one-line text, `… at line L, column N` otherwise.
 */
export function describeJsonError(text: string, err: unknown, line: number, column: number): string {
  const { reason, index } = jsonError(text, err)
  if (index === null) return `invalid JSON: ${reason}`
  const before = text.lastIndexOf('\n', index - 1)
  if (before < 0 && !text.includes('\n')) return `invalid JSON: ${reason} at column ${column + index + 1}`
  let lines = 0
  for (let i = text.indexOf('\n'); i >= 0 && i < index; i = text.indexOf('\n', i + 1)) lines++
  const col = before < 0 ? column + index + 1 : index - before
  return `invalid JSON: ${reason} at line ${line + lines}, column ${col}`
}
