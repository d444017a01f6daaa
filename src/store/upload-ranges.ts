import { Buffer } from 'node:buffer'
import { constants, gunzipSync } from 'node:zlib'
import type pg from 'pg'
import { archiveFormat, isGzip, readContentRanges, type ContentRange } from '../ingest/index.js'
import { readUploadChunks } from './upload-chunks.js'

/**
 * Byte ranges of an upload's content as the reader saw it — after gunzip when the upload itself
 * is gzip, each file in its window when it is an archive (ZIP, tar) — read back from its stored chunks
 * (upload-chunks.ts), e.g. an event's raw text from its stored offset and length. A plain upload's
 * ranges are cut from the stored chunks that hold them (each chunk records its size, so nothing
 * before them is read); a gzip upload or an archive has no such index into its inflated bytes, so
 * it is read as a stream from the start up to the last range (../ingest/content-ranges.ts).
 */

export type ByteRange = ContentRange

/** Compressed bytes of the first chunk read to see whether the upload is gzip or an archive (a tar header is 512 bytes inflated). */
const HEAD_PROBE_BYTES = 4096

/**
 * The bytes of each of `ranges`, in order; null for a range the content does not hold, and for
 * every range when the upload's raw bytes are gone (purged by retention).
 */
export async function readUploadRanges(pool: pg.Pool, uploadId: string, ranges: readonly ByteRange[]): Promise<(Buffer | null)[]> {
  if (ranges.length === 0) return []
  const { rows: chunks } = await pool.query<{ seq: number; raw_bytes: number; head: Buffer | null }>(
    `SELECT seq, raw_bytes, CASE WHEN seq = 0 THEN substring(data FROM 1 FOR ${HEAD_PROBE_BYTES}) END AS head
     FROM upload_chunks WHERE upload_id = $1 ORDER BY seq`,
    [uploadId],
  )
  const head = chunks[0]?.head
  if (!head) return ranges.map(() => null)
  return isPlainUpload(head) ? storedRanges(pool, uploadId, chunks, ranges) : readContentRanges(readUploadChunks(pool, uploadId), ranges)
}

/** Whether the upload's content is its bytes as stored: neither gzip nor a ZIP archive, from the start of its first stored chunk. */
function isPlainUpload(chunkHead: Buffer): boolean {
  // Z_SYNC_FLUSH: inflate what this prefix holds instead of failing on its missing end.
  const start = gunzipSync(chunkHead, { finishFlush: constants.Z_SYNC_FLUSH })
  return !isGzip(start) && archiveFormat(start) === null
}

/** Ranges of a plain upload: from the chunks that hold them, located by the chunks' sizes. */
async function storedRanges(pool: pg.Pool, uploadId: string, chunks: readonly { seq: number; raw_bytes: number }[], ranges: readonly ByteRange[]): Promise<(Buffer | null)[]> {
  const starts: number[] = []
  let total = 0
  for (const c of chunks) {
    starts.push(total)
    total += c.raw_bytes
  }
  const needed = new Set<number>()
  for (const r of ranges) {
    if (r.offset < 0 || r.offset + r.length > total) continue
    chunks.forEach((c, i) => {
      if (starts[i]! < r.offset + r.length && starts[i]! + c.raw_bytes > r.offset) needed.add(c.seq)
    })
  }
  const { rows } = await pool.query<{ seq: number; data: Buffer }>('SELECT seq, data FROM upload_chunks WHERE upload_id = $1 AND seq = ANY($2::int[])', [uploadId, [...needed]])
  const content = new Map(rows.map((r) => [r.seq, gunzipSync(r.data)]))
  return ranges.map((r) => {
    if (r.offset < 0 || r.offset + r.length > total) return null
    const parts: Buffer[] = []
    chunks.forEach((c, i) => {
      const from = Math.max(r.offset, starts[i]!)
      const to = Math.min(r.offset + r.length, starts[i]! + c.raw_bytes)
      if (from < to) parts.push(content.get(c.seq)!.subarray(from - starts[i]!, to - starts[i]!))
    })
    return Buffer.concat(parts)
  })
}
