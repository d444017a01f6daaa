/**
 * Timestamps of the raw formats, to epoch milliseconds (UTC). Sub-millisecond digits are cut,
 * as Splunk's `%3N` does; anything that is not exactly the expected shape is `null`.
 */

const SYSMON_UTC = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?$/
const SYSTEM_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?Z$/

function fromParts(m: RegExpExecArray | null): number | null {
  if (m === null) return null
  const [y, mo, d, h, mi, s] = [1, 2, 3, 4, 5, 6].map((i) => Number(m[i]))
  const ms = Number((m[7] ?? '').padEnd(3, '0').slice(0, 3))
  const t = Date.UTC(y!, mo! - 1, d!, h!, mi!, s!, ms)
  // Date.UTC rolls over out-of-range parts (month 13, 25:00); reject instead.
  const back = new Date(t)
  if (back.getUTCMonth() !== mo! - 1 || back.getUTCDate() !== d! || back.getUTCHours() !== h! || back.getUTCMinutes() !== mi! || back.getUTCSeconds() !== s!)
    return null
  return y! < 100 ? null : t
}

/** Sysmon `UtcTime`: `%Y-%m-%d %H:%M:%S.%3N`, e.g. `2020-10-08 11:03:46.615`. */
export const parseSysmonUtcTime = (v: string | null): number | null => (v === null ? null : fromParts(SYSMON_UTC.exec(v)))

/** `<TimeCreated SystemTime=…>`: ISO 8601 in UTC with up to 9 fractional digits. */
export const parseSystemTime = (v: string | null): number | null => (v === null ? null : fromParts(SYSTEM_TIME.exec(v)))

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
