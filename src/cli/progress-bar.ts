/**
 * The CLI's progress display: one line on standard error, redrawn in place (`\r`, erase to end of
 * line), only when that stream is a terminal — piped or redirected output never gets escape
 * codes. Redraws are throttled (a fast loop may call update() per chunk) and the line waits
 * `delayMs` before it first shows, so quick runs print nothing at all.
 */

export interface ProgressStream {
  isTTY?: boolean
  columns?: number
  write(text: string): boolean
}

export interface ProgressLine {
  /** Whether anything will be drawn (the stream is a terminal). */
  readonly visible: boolean
  update(text: string): void
  /** Erases the line (nothing else may be written to the stream while it shows). */
  clear(): void
}

export function progressLine(stream: ProgressStream, opts: { delayMs?: number; intervalMs?: number; now?: () => number } = {}): ProgressLine {
  const now = opts.now ?? (() => performance.now())
  const visible = stream.isTTY === true
  const startedAt = now()
  let drawnAt = -Infinity
  let shown = false
  return {
    visible,
    update(text) {
      if (!visible) return
      const t = now()
      if (t - startedAt < (opts.delayMs ?? 0) || t - drawnAt < (opts.intervalMs ?? 100)) return
      drawnAt = t
      shown = true
      // A pseudo-terminal may report no size (0 columns): assume the classic 80.
      const width = Math.max(20, (stream.columns || 80) - 1)
      stream.write(`\r${text.length > width ? text.slice(0, width) : text}\x1b[K`)
    },
    clear() {
      if (shown) stream.write('\r\x1b[K')
      shown = false
      drawnAt = -Infinity
    },
  }
}

/** `[#######-------------]  35%`: `fraction` in 0..1 (null: unknown, an empty bar). */
export function bar(fraction: number | null, width = 20): string {
  const f = fraction === null ? 0 : Math.min(1, Math.max(0, fraction))
  const full = Math.round(f * width)
  return `[${'#'.repeat(full)}${'-'.repeat(width - full)}] ${fraction === null ? '  ?' : `${String(Math.floor(f * 100)).padStart(3)}`}%`
}

const UNITS = ['B', 'KB', 'MB', 'GB', 'TB']

/** 1536 → "1.5 KB" (decimal units, as disks and network speeds are quoted). */
export function formatBytes(n: number): string {
  let value = n
  let unit = 0
  while (value >= 1000 && unit < UNITS.length - 1) {
    value /= 1000
    unit++
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${UNITS[unit]}`
}

/** 75 → "1m15s"; null → "?". */
export function formatDuration(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return '?'
  const s = Math.max(0, Math.round(seconds))
  if (s < 60) return `${s}s`
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`
}

/** 12345.6 → "12,346". */
export const formatCount = (n: number): string => Math.round(n).toLocaleString('en-US')
