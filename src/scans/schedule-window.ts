import { CronExpressionParser } from 'cron-parser'

/**
 * The window of a scheduled run, as a Splunk saved search's `dispatch.earliest_time` /
 * `latest_time` relative to the run (ESCU: -70m to -10m, hourly), with one addition Splunk leaves
 * to the operator: when runs were missed (workers down), the next run starts where the last one
 * ended, so the gap is scanned (backfilled) and reported rather than silently skipped.
 */

export interface ScheduleWindowInput {
  /** The run time. */
  now: Date
  windowStartSeconds: number
  windowEndSeconds: number
  /** Where the last run's window ended (null: never ran). */
  coveredUntil: Date | null
}

export interface ScheduleWindow {
  from: Date
  to: Date
  /** Set when the window was extended back over missed runs: where it would have started. */
  backfilledFrom: Date | null
}

export function scheduleWindow(input: ScheduleWindowInput): ScheduleWindow {
  const regularFrom = new Date(input.now.getTime() + input.windowStartSeconds * 1000)
  const to = new Date(input.now.getTime() + input.windowEndSeconds * 1000)
  const covered = input.coveredUntil
  if (covered !== null && covered.getTime() < regularFrom.getTime()) return { from: covered, to, backfilledFrom: regularFrom }
  return { from: regularFrom, to, backfilledFrom: null }
}

/** A relative time as ESCU writes it (`-70m`, `-10m`, `-1h`, `-2d`, `now`, `0`) in seconds. */
export function parseRelativeTime(text: string, field: string): number {
  const t = text.trim()
  if (t === 'now' || t === '0') return 0
  const m = /^-(\d{1,6})([smhd])$/.exec(t)
  if (m === null) throw new RangeError(`${field}: "${text}" is not a relative time like -70m, -10m, -1h, -2d or now`)
  const unit = { s: 1, m: 60, h: 3600, d: 86400 }[m[2] as 's' | 'm' | 'h' | 'd']
  return -Number(m[1]) * unit
}

/** A positive number of seconds as written back to clients: 2d, 1h, 90m, 45s (the largest whole unit). */
export function formatDuration(seconds: number): string {
  if (seconds % 86400 === 0) return `${seconds / 86400}d`
  if (seconds % 3600 === 0) return `${seconds / 3600}h`
  if (seconds % 60 === 0) return `${seconds / 60}m`
  return `${seconds}s`
}

/** Seconds relative to a run as ESCU writes them (the inverse of parseRelativeTime): -70m, -1h, now. */
export function formatRelativeTime(seconds: number): string {
  return seconds === 0 ? 'now' : `-${formatDuration(Math.abs(seconds))}`
}

/** Checks a cron expression and time zone; returns the next run after `after`. */
export function nextCronRun(cron: string, timeZone: string, after: Date): Date {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone })
  } catch {
    throw new RangeError(`timeZone: "${timeZone}" is not an IANA time zone (e.g. UTC, Europe/Paris, America/New_York)`)
  }
  const fields = cron.trim().split(/\s+/)
  if (fields.length !== 5) throw new RangeError(`cron: "${cron}" must have 5 fields (minute hour day-of-month month day-of-week), it has ${fields.length}`)
  try {
    return CronExpressionParser.parse(cron, { tz: timeZone, currentDate: after }).next().toDate()
  } catch (err) {
    throw new RangeError(`cron: "${cron}" is not a valid cron expression (${(err as Error).message})`)
  }
}
