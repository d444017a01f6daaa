import { storableText } from './storable-text.js'
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
  /**
   * Skipped events per kind (`sysmon:3`, `security:4624`, `crowdstrike:DnsRequest`,
   * `json:unsupported`…). At most `MAX_SKIPPED_KINDS` keys; later new kinds count under `other`.
   */
  skippedByKind: Record<string, number>
  /** Every error, including those beyond the kept list. */
  errorCount: number
  /** The first `MAX_KEPT_ERRORS` errors, in input order; `offset` is the byte offset of `line`. */
  errors: { line: number; offset: number; message: string }[]
}

export const MAX_KEPT_ERRORS = 1000
/** Distinct keys kept in `skippedByKind` (channel names come from the upload, so they are bounded). */
export const MAX_SKIPPED_KINDS = 200
export const OTHER_SKIPPED_KIND = 'other'

export const newIngestStats = (): IngestStats => ({ events: 0, processEvents: 0, skipped: 0, skippedByKind: {}, errorCount: 0, errors: [] })

/** Adds `items` to `stats` (in place) and returns it. */
export function foldIngestItems(stats: IngestStats, items: Iterable<IngestItem>, maxErrors = MAX_KEPT_ERRORS): IngestStats {
  // Stats made before skippedByKind existed (stored rows) gain it on the first fold.
  const byKind = (stats.skippedByKind ??= {})
  let kinds = -1
  for (const item of items) {
    switch (item.kind) {
      case 'event':
        stats.events++
        stats.processEvents++
        break
      case 'skipped': {
        stats.events++
        stats.skipped++
        // Channel and event names come from the upload; the summary is stored as json.
        let key = storableText(item.eventKind)
        if (!Object.hasOwn(byKind, key)) {
          if (kinds < 0) kinds = Object.keys(byKind).length
          if (kinds >= MAX_SKIPPED_KINDS) key = OTHER_SKIPPED_KIND
          else kinds++
        }
        byKind[key] = (Object.hasOwn(byKind, key) ? byKind[key]! : 0) + 1
        break
      }
      case 'error':
        stats.errorCount++
        if (stats.errors.length < maxErrors) stats.errors.push({ line: item.line, offset: item.offset, message: item.message })
        break
    }
  }
  return stats
}
