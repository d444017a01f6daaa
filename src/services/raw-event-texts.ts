import type pg from 'pg'
import { chunkStartOf, evtxChunkRange, isEvtxRecord, rawEventText, renderEvtxRecords } from '../ingest/index.js'
import { readUploadRanges } from '../store/upload-ranges.js'

/**
 * The raw text of stored events — each one exactly as uploaded — read back from the uploads'
 * stored bytes at the offset and length ingest recorded for it: one read per upload for a whole
 * page of events (a gzip upload is inflated once, up to the last event wanted). Null for an event
 * without recorded offsets (stored before they were recorded) and when the upload's raw bytes
 * were purged. An event read from an EVTX file shows its record rendered as XML.
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
    const records: typeof wanted = []
    wanted.forEach((w, i) => {
      const b = bytes[i]
      if (!b) return
      if (isEvtxRecord(b)) records.push(w)
      else out.set(w.id, rawEventText(b))
    })
    if (records.length > 0) await evtxRecordTexts(pool, uploadId, records, out)
  }
  return out
}

/**
 * Events read from an EVTX file: their bytes are a binary record whose names and templates live
 * in its 64 KiB chunk, so each distinct chunk is read once more and its records rendered together
 * as the XML Windows shows for them (the text the reader parsed).
 */
async function evtxRecordTexts(pool: pg.Pool, uploadId: string, records: { id: string; offset: number }[], out: Map<string, string | null>): Promise<void> {
  const starts = [...new Set(records.map((r) => chunkStartOf(r.offset)))].sort((a, b) => a - b)
  const chunks = await readUploadRanges(pool, uploadId, starts.map(evtxChunkRange))
  starts.forEach((start, i) => {
    const chunk = chunks[i]
    const inChunk = records.filter((r) => chunkStartOf(r.offset) === start)
    const texts = chunk ? renderEvtxRecords(chunk, inChunk.map((r) => r.offset - start)) : []
    inChunk.forEach((r, j) => out.set(r.id, texts[j] ?? null))
  })
}
