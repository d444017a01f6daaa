import type pg from 'pg'
import { withTransaction } from '../db/transaction.js'
import { governed } from '../runtime/memory-governor.js'
import { clearUploadResults } from './detection-writer.js'
import { UPLOAD_LOCK_CLASS } from './upload-lock.js'
import { writeUploadChunks } from './upload-chunks.js'

/**
 * Receiving an upload is all-or-nothing: the upload row and every chunk are written in one
 * transaction, so a connection lost halfway leaves no trace, and the client gets an error.
 */

export interface NewUpload {
  tenantId: string
  fileName: string
  formatOverride: string | null
  detectFormat: (head: Buffer) => string
  maxBytes: number
}

export interface ReceivedUpload {
  id: string
  sizeBytes: number
  sha256: string
  detectedFormat: string
}

export async function receiveUpload(pool: pg.Pool, input: NewUpload, body: AsyncIterable<Uint8Array>): Promise<ReceivedUpload> {
  return withTransaction(pool, async (client) => {
    const { rows } = await client.query<{ id: string }>(
      `INSERT INTO uploads (tenant_id, file_name, format_override, status) VALUES ($1, $2, $3, 'QUEUED') RETURNING id`,
      [input.tenantId, input.fileName, input.formatOverride],
    )
    const id = rows[0]!.id
    const stored = await writeUploadChunks(client, id, governed(body), input.maxBytes)
    const detectedFormat = input.formatOverride ?? input.detectFormat(stored.head)
    await client.query('UPDATE uploads SET size_bytes = $2, sha256 = $3, detected_format = $4 WHERE id = $1', [
      id,
      stored.sizeBytes,
      stored.sha256,
      detectedFormat,
    ])
    return { id, sizeBytes: stored.sizeBytes, sha256: stored.sha256, detectedFormat }
  })
}

/**
 * Deletes an upload with everything derived from it: raw bytes, events, its contributions to
 * detections (whose totals are recomputed; detections left without any are removed) and its risk
 * events. Waits for a job still processing the upload (same advisory lock), so nothing is re-added.
 */
export async function deleteUpload(pool: pg.Pool, tenantId: string, uploadId: string): Promise<boolean> {
  return withTransaction(pool, async (client) => {
    await client.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [UPLOAD_LOCK_CLASS, uploadId])
    const { rowCount } = await client.query('SELECT 1 FROM uploads WHERE id = $1 AND tenant_id = $2', [uploadId, tenantId])
    if (!rowCount) return false
    await clearUploadResults(client, uploadId)
    await client.query('DELETE FROM uploads WHERE id = $1', [uploadId])
    return true
  })
}
