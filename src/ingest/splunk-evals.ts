/**
 * The add-ons' search-time regexes, reproduced. Splunk evaluates them with PCRE, where `.` stops
 * only at `\n`, `\s` and `\w` are ASCII, and `$` also matches before a final `\n`. The two
 * `replace()` patterns are implemented as linear scans with exactly that meaning (the unit tests
 * compare them with the literal regexes): run as regexes they backtrack quadratically or worse,
 * and a crafted 8 MiB value would stall the worker.
 */

const isWord = (c: number): boolean => (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95

function allWord(s: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (!isWord(s.charCodeAt(i))) return false
  return true
}

/** Where `$` can match, and where the last line before it starts (`.` cannot cross `\n`). */
function lastLine(s: string): { start: number; end: number } {
  const end = s.endsWith('\n') ? s.length - 1 : s.length
  return { start: s.lastIndexOf('\n', end - 1) + 1, end }
}

/**
 * Sysmon TA: `replace(x,"(.*\\)(?=.*(\.\w*)$|(\w+)$)","")` — drops the directory only when
 * the last segment has an extension or is all word characters (`C:\x\my-tool` stays whole).
 * Only the last backslash can qualify: any earlier one has a `\` (not a word character) after
 * every candidate dot.
 */
export function sysmonBasename(path: string): string {
  const { start, end } = lastLine(path)
  const slash = path.lastIndexOf('\\', end - 1)
  if (slash < start) return path
  const dot = path.lastIndexOf('.', end - 1)
  const qualifies = dot > slash ? allWord(path, dot + 1, end) : end > slash + 1 && allWord(path, slash + 1, end)
  return qualifies ? path.slice(0, start) + path.slice(slash + 1) : path
}

/** Sysmon TA: `replace(User,"(.*)\\(.+)$","\2")` — `CORP\alice` → `alice`. */
export function stripDomain(user: string): string {
  const { start, end } = lastLine(user)
  // `(.+)` needs a character after the backslash, so a final backslash defers to the one before.
  const slash = end < 2 ? -1 : user.lastIndexOf('\\', end - 2)
  return slash < start ? user : user.slice(0, start) + user.slice(slash + 1)
}

/** Windows TA: the capture of `(?:.*\\)?(.*)` — everything after the last backslash (first line). */
export function windowsLastSegment(path: string): string {
  const nl = path.indexOf('\n')
  const line = nl < 0 ? path : path.slice(0, nl)
  return line.slice(line.lastIndexOf('\\') + 1)
}

const isSpace = (c: number): boolean => c === 32 || (c >= 9 && c <= 13)

/**
 * Windows TA: `(^\"[^\"]+\"|[^\s]+)\s*(.*)` over the 4688 CommandLine: the executable token
 * (quoted, or the first run of non-space) and the arguments. Unanchored, like the TA's EXTRACT,
 * so leading whitespace is skipped.
 */
export function splitCommandLine(commandLine: string): { token: string; rest: string } | null {
  let start = 0
  let end = -1
  if (commandLine.startsWith('"')) {
    const close = commandLine.indexOf('"', 1)
    if (close > 1) end = close + 1
  }
  if (end < 0) {
    while (start < commandLine.length && isSpace(commandLine.charCodeAt(start))) start++
    if (start === commandLine.length) return null
    end = start
    while (end < commandLine.length && !isSpace(commandLine.charCodeAt(end))) end++
  }
  let rest = end
  while (rest < commandLine.length && isSpace(commandLine.charCodeAt(rest))) rest++
  const nl = commandLine.indexOf('\n', rest)
  return { token: commandLine.slice(start, end), rest: commandLine.slice(rest, nl < 0 ? commandLine.length : nl) }
}

/** `null` for Splunk's "no value": absent, or an empty string (never extracted as a field). */
export const valueOrNull = (v: string | undefined | null): string | null => (v === undefined || v === null || v === '' ? null : v)

/** Values the Windows add-ons treat as "no value" besides absence: `-`. */
export const unlessDash = (v: string | null): string | null => (v === '-' ? null : v)
