/**
 * Timestamps of the raw formats, to epoch milliseconds (UTC). Sub-millisecond digits are cut,
 * as Splunk's `%3N` does; anything that is not exactly the expected shape is `null`.
 */

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
const isLeap = (y: number): boolean => (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0

/** Epoch milliseconds of the parts, or null when one is out of range (month 13, 25:00, 30 February, a year below 100). */
function fromNumbers(y: number, mo: number, d: number, h: number, mi: number, s: number, ms: number): number | null {
  if (y < 100 || mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || s > 59) return null
  if (d > (mo === 2 && isLeap(y) ? 29 : DAYS_IN_MONTH[mo - 1]!)) return null
  return Date.UTC(y, mo - 1, d, h, mi, s, ms)
}

function fromParts(m: RegExpExecArray | null): number | null {
  if (m === null) return null
  const ms = Number((m[7] ?? '').padEnd(3, '0').slice(0, 3))
  return fromNumbers(Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]), ms)
}

/** The value of the `n` ASCII digits at `i`, or -1 if one is not a digit. */
function digitsAt(v: string, i: number, n: number): number {
  let x = 0
  for (let k = i; k < i + n; k++) {
    const c = v.charCodeAt(k) - 48
    if (c < 0 || c > 9) return -1
    x = x * 10 + c
  }
  return x
}

/**
 * `YYYY-MM-DD?HH:MM:SS(.f{1,9})?` with `?` = `sep`, then `Z` if `zulu`, and nothing else (no
 * regex: this runs for every event). Sub-millisecond digits are cut.
 */
function parseFixed(v: string, sep: number, zulu: boolean): number | null {
  const end = zulu ? v.length - 1 : v.length
  if (end < 19 || (zulu && v.charCodeAt(end) !== 90)) return null
  if (v.charCodeAt(4) !== 45 || v.charCodeAt(7) !== 45 || v.charCodeAt(10) !== sep || v.charCodeAt(13) !== 58 || v.charCodeAt(16) !== 58) return null
  const y = digitsAt(v, 0, 4)
  const mo = digitsAt(v, 5, 2)
  const d = digitsAt(v, 8, 2)
  const h = digitsAt(v, 11, 2)
  const mi = digitsAt(v, 14, 2)
  const s = digitsAt(v, 17, 2)
  if (y < 0 || mo < 0 || d < 0 || h < 0 || mi < 0 || s < 0) return null
  let ms = 0
  if (end > 19) {
    const fraction = end - 20
    if (v.charCodeAt(19) !== 46 || fraction < 1 || fraction > 9 || digitsAt(v, 20, fraction) < 0) return null
    ms = digitsAt(v, 20, Math.min(3, fraction)) * (fraction === 1 ? 100 : fraction === 2 ? 10 : 1)
  }
  return fromNumbers(y, mo, d, h, mi, s, ms)
}

/** Sysmon `UtcTime`: `%Y-%m-%d %H:%M:%S.%3N`, e.g. `2020-10-08 11:03:46.615`. */
export const parseSysmonUtcTime = (v: string | null): number | null => (v === null ? null : parseFixed(v, 32, false))

/** `<TimeCreated SystemTime=…>`: ISO 8601 in UTC with up to 9 fractional digits. */
export const parseSystemTime = (v: string | null): number | null => (v === null ? null : parseFixed(v, 84, true))

/** CrowdStrike `timestamp`: epoch milliseconds as a decimal string (`TIME_FORMAT=%s%3N`). */
export function parseEpochMillis(v: string | null): number | null {
  if (v === null || !/^\d{1,15}$/.test(v)) return null
  return Number(v)
}

const SHIPPER_TIME = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:?\d{2})?$/

/**
 * A time as JSON shippers write it: ISO 8601 with `Z` or an offset, or without a zone (then read
 * as UTC; `zoned` says which). Returns epoch milliseconds, sub-millisecond digits cut.
 */
export function parseShipperTime(v: string): { time: number; zoned: boolean } | null {
  const m = SHIPPER_TIME.exec(v)
  const local = fromParts(m)
  if (local === null) return null
  const zone = m![8]
  if (zone === undefined || zone === 'Z') return { time: local, zoned: zone !== undefined }
  const hours = Number(zone.slice(1, 3))
  const minutes = Number(zone.slice(-2))
  if (hours > 23 || minutes > 59) return null
  return { time: local - (zone[0] === '-' ? -1 : 1) * (hours * 60 + minutes) * 60_000, zoned: true }
}
