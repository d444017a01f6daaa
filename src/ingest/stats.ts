import type { IngestItem } from './types.js'

/**
 * A running summary of an ingest: counts plus the first errors, capped so a file of garbage
 * cannot grow the summary (the upload row stores it as JSON).
 */

export interface IngestStats {
  /** Well-formed events read: process events plus skipped ones. */
  events: number
  processEvents: number
  skipped: number
  /** Every error, including those beyond the kept list. */
  errorCount: number
  /** The first `MAX_KEPT_ERRORS` errors, in input order. */
  errors: { line: number; message: string }[]
}

export const MAX_KEPT_ERRORS = 1000

export const newIngestStats = (): IngestStats => ({ events: 0, processEvents: 0, skipped: 0, errorCount: 0, errors: [] })

/** Adds `items` to `stats` (in place) and returns it. */
export function foldIngestItems(stats: IngestStats, items: Iterable<IngestItem>, maxErrors = MAX_KEPT_ERRORS): IngestStats {
  for (const item of items) {
    switch (item.kind) {
      case 'event':
        stats.events++
        stats.processEvents++
        break
      case 'skipped':
        stats.events++
        stats.skipped++
        break
      case 'error':
        stats.errorCount++
        if (stats.errors.length < maxErrors) stats.errors.push({ line: item.line, message: item.message })
        break
    }
  }
  return stats
}
