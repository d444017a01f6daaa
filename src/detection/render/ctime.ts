/**
 * ESCU's `security_content_ctime` is `convert timeformat="%Y-%m-%dT%H:%M:%S" ctime(field)`:
 * seconds precision, no fraction, no zone. Splunk renders in the searching user's zone; Watchpost
 * renders in UTC so that output does not depend on the machine.
 */

const pad = (n: number, width: number): string => String(n).padStart(width, '0')

/** Formats epoch milliseconds as `%Y-%m-%dT%H:%M:%S` in UTC, truncating sub-second precision. */
export function ctime(ms: number): string {
  const d = new Date(Math.floor(ms / 1000) * 1000)
  return (
    `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1, 2)}-${pad(d.getUTCDate(), 2)}` +
    `T${pad(d.getUTCHours(), 2)}:${pad(d.getUTCMinutes(), 2)}:${pad(d.getUTCSeconds(), 2)}`
  )
}

/** Splunk's unconverted `_time`: epoch seconds, fractional when the event had milliseconds. */
export function epochSeconds(ms: number): number {
  return ms / 1000
}
