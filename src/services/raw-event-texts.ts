import type pg from 'pg'
import { rawEventText } from '../ingest/index.js'
import { readUploadRanges } from '../store/upload-ranges.js'

/**
 * The raw text of stored events — each one exactly as uploaded — read back from the uploads'
 * stored bytes at the offset and length ingest recorded for it: one read per upload for a whole
 * page of events (a gzip upload is inflated once, up to the last event wanted). Null for an event
 * without recorded offsets (stored before they were recorded) and when the upload's raw bytes
 * were purged.
 */

export interface RawEventRef {
  readonly id: string
  readonly uploadId: string
  readonly rawOffset: number | null
  readonly rawLength: number | null
}

export async function rawEventTexts(pool: pg.Pool, events: readonly RawEventRef[]): Promise<Map<string, string | null>> {
  const out = new Map<string, string | null>(events.map((e) => [e.id, null]))
  const byUpload = new Map<string, { id: string; offset: number; length: number }[]>()
  for (const e of events) {
    if (e.rawOffset === null || e.rawLength === null) continue
    const list = byUpload.get(e.uploadId) ?? []
    list.push({ id: e.id, offset: e.rawOffset, length: e.rawLength })
    byUpload.set(e.uploadId, list)
  }
  for (const [uploadId, wanted] of byUpload) {
    const bytes = await readUploadRanges(pool, uploadId, wanted)
    wanted.forEach((w, i) => {
      const b = bytes[i]
      if (b) out.set(w.id, rawEventText(b))
    })
  }
  return out
}
