import type pg from 'pg'
import { recountAfterPurge } from './event-hours.js'

/**
 * The retention sweep. For every tenant with a retention period (tenant-retention.ts) it deletes
 * what is older than `now` − period:
 * - process_events and risk_events, by event time;
 * - the raw bytes (upload_chunks) of uploads received before the cutoff, once they are finished
 *   (a QUEUED or RUNNING upload still needs its bytes). The upload row stays, stamped
 *   raw_purged_at first, so the upload job refuses to process it again: a re-run over no bytes
 *   would replace the upload's results with nothing.
 * Detections and their per-upload contributions (the aggregated results) are kept.
 *
 * Every statement is one bounded batch in its own implicit transaction, so a sweep never holds
 * many row locks or a long transaction, and a sweep that dies half-way loses nothing: the next
 * one carries on where it stopped.
 */

export interface PurgeOptions {
  /** Events (and upload rows to stamp) per DELETE / UPDATE. */
  eventBatch?: number
  /** Raw chunks per DELETE (each holds up to 4 MiB of the upload, compressed). */
  chunkBatch?: number
}

/** What one sweep purged for one tenant. */
export interface TenantPurge {
  tenantId: string
  tenantName: string
  retentionDays: number
  cutoff: Date
  processEvents: number
  riskEvents: number
  /** Uploads whose raw bytes were purged by this sweep. */
  uploads: number
  uploadChunks: number
  /** Uncompressed size of the purged chunks. */
  rawBytes: number
}

const DAY_MS = 24 * 3600 * 1000
const DEFAULTS: Required<PurgeOptions> = { eventBatch: 5_000, chunkBatch: 16 }

/** The instant before which a tenant's data is purged: exactly `days` × 24 h before `now`. */
export const retentionCutoff = (now: Date, days: number): Date => new Date(now.getTime() - days * DAY_MS)

/** Runs one sweep at `now` over every tenant with a retention period. */
export async function purgeExpired(pool: pg.Pool, now: Date, options: PurgeOptions = {}): Promise<TenantPurge[]> {
  const opts = { ...DEFAULTS, ...options }
  const { rows } = await pool.query<{ id: string; name: string; retention_days: number }>(
    'SELECT id, name, retention_days FROM tenants WHERE retention_days IS NOT NULL ORDER BY name',
  )
  const purged: TenantPurge[] = []
  for (const tenant of rows) {
    const cutoff = retentionCutoff(now, tenant.retention_days)
    purged.push({
      tenantId: tenant.id,
      tenantName: tenant.name,
      retentionDays: tenant.retention_days,
      cutoff,
      processEvents: await deleteEventsBefore(pool, 'process_events', tenant.id, cutoff, opts.eventBatch).then(async (n) => {
        // Scans count examined events from per-hour counts: keep them in step with the events.
        await recountAfterPurge(pool, tenant.id, cutoff, opts.eventBatch)
        return n
      }),
      riskEvents: await deleteEventsBefore(pool, 'risk_events', tenant.id, cutoff, opts.eventBatch),
      uploads: await stampUploadsBefore(pool, tenant.id, cutoff, now, opts.eventBatch),
      ...(await deleteStampedChunks(pool, tenant.id, opts.chunkBatch)),
    })
  }
  return purged
}

/**
 * Repeats a batch statement until it touches fewer rows than a full batch. Returns the rows
 * touched, and `sum` of a RETURNING column (no rows are kept: a purge may touch millions).
 */
async function untilDone(pool: pg.Pool, sql: string, params: unknown[], batch: number): Promise<{ rows: number; sum: number }> {
  const total = { rows: 0, sum: 0 }
  for (;;) {
    const { rows, rowCount } = await pool.query<{ n?: number }>(sql, params)
    total.rows += rowCount ?? 0
    for (const row of rows) total.sum += Number(row.n ?? 0)
    if ((rowCount ?? 0) < batch) return total
  }
}

async function deleteEventsBefore(pool: pg.Pool, table: 'process_events' | 'risk_events', tenantId: string, cutoff: Date, batch: number): Promise<number> {
  const sql = `DELETE FROM ${table} WHERE id IN (SELECT id FROM ${table} WHERE tenant_id = $1 AND time < $2 LIMIT $3)`
  return (await untilDone(pool, sql, [tenantId, cutoff, batch], batch)).rows
}

/**
 * Stamps finished uploads received before the cutoff as purged. The status is checked again on
 * the row itself (outside the subquery), so an upload a worker has just picked up is skipped.
 */
async function stampUploadsBefore(pool: pg.Pool, tenantId: string, cutoff: Date, now: Date, batch: number): Promise<number> {
  const sql = `UPDATE uploads SET raw_purged_at = $3
    WHERE id IN (SELECT id FROM uploads WHERE tenant_id = $1 AND created_at < $2 AND raw_purged_at IS NULL AND status NOT IN ('QUEUED', 'RUNNING') LIMIT $4)
      AND raw_purged_at IS NULL AND status NOT IN ('QUEUED', 'RUNNING')`
  return (await untilDone(pool, sql, [tenantId, cutoff, now, batch], batch)).rows
}

/** Deletes the chunks left of stamped uploads (all of them, unless an earlier sweep died half-way). */
async function deleteStampedChunks(pool: pg.Pool, tenantId: string, batch: number): Promise<{ uploadChunks: number; rawBytes: number }> {
  const sql = `DELETE FROM upload_chunks WHERE (upload_id, seq) IN (
      SELECT c.upload_id, c.seq FROM uploads u JOIN upload_chunks c ON c.upload_id = u.id
      WHERE u.tenant_id = $1 AND u.raw_purged_at IS NOT NULL LIMIT $2)
    RETURNING raw_bytes AS n`
  const purged = await untilDone(pool, sql, [tenantId, batch], batch)
  return { uploadChunks: purged.rows, rawBytes: purged.sum }
}
