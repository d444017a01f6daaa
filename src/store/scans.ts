import { createHash } from 'node:crypto'
import type pg from 'pg'
import { NotFoundError } from '../errors.js'
import { decodeTimeCursor, encodeCursor } from './cursor.js'

/** The `scans` table: what each scan over stored events was asked, and what it did. */

export type ScanKind = 'MANUAL' | 'SCHEDULED' | 'RESCAN'
export type ScanStatus = 'QUEUED' | 'RUNNING' | 'SUCCEEDED' | 'FAILED'

export interface ScanRecord {
  id: string
  tenantId: string
  kind: ScanKind
  scheduleId: string | null
  uploadId: string | null
  status: ScanStatus
  windowFrom: Date | null
  windowTo: Date | null
  backfilledFrom: Date | null
  rules: { ruleId: string; escuId?: string; name?: string; revision?: number; uploads?: number; detections?: number; error?: string }[]
  eventsExamined: number
  detectionsWritten: number
  uploadsScanned: number
  durationMs: number | null
  attempts: number
  failureReason: string | null
  createdAt: Date
  startedAt: Date | null
  finishedAt: Date | null
}

const COLUMNS = `id, tenant_id, kind, schedule_id, upload_id, status, window_from, window_to, backfilled_from, rules, events_examined,
  detections_written, uploads_scanned, duration_ms, attempts, failure_reason, created_at, started_at, finished_at`

type Row = Record<string, unknown>
function recordOf(r: Row): ScanRecord {
  return {
    id: r.id as string,
    tenantId: r.tenant_id as string,
    kind: r.kind as ScanKind,
    scheduleId: r.schedule_id as string | null,
    uploadId: r.upload_id as string | null,
    status: r.status as ScanStatus,
    windowFrom: r.window_from as Date | null,
    windowTo: r.window_to as Date | null,
    backfilledFrom: r.backfilled_from as Date | null,
    rules: r.rules as ScanRecord['rules'],
    eventsExamined: Number(r.events_examined),
    detectionsWritten: Number(r.detections_written),
    uploadsScanned: Number(r.uploads_scanned),
    durationMs: r.duration_ms as number | null,
    attempts: r.attempts as number,
    failureReason: r.failure_reason as string | null,
    createdAt: r.created_at as Date,
    startedAt: r.started_at as Date | null,
    finishedAt: r.finished_at as Date | null,
  }
}

export interface NewScan {
  /** A fixed id (a scheduled run's, derived from its job) makes creating it again a no-op. */
  id?: string
  tenantId: string
  kind: ScanKind
  scheduleId?: string | null
  uploadId?: string | null
  windowFrom?: Date | null
  windowTo?: Date | null
  backfilledFrom?: Date | null
  ruleIds: readonly string[]
}

/** Records a scan to run (QUEUED); with a fixed id that exists already, returns the existing one. */
export async function createScan(db: pg.Pool | pg.ClientBase, s: NewScan): Promise<ScanRecord> {
  const { rows } = await db.query(
    `INSERT INTO scans (id, tenant_id, kind, schedule_id, upload_id, window_from, window_to, backfilled_from, rules)
     VALUES (COALESCE($1::uuid, gen_random_uuid()), $2, $3, $4, $5, $6, $7, $8, $9)
     ON CONFLICT (id) DO NOTHING RETURNING ${COLUMNS}`,
    [s.id ?? null, s.tenantId, s.kind, s.scheduleId ?? null, s.uploadId ?? null, s.windowFrom ?? null, s.windowTo ?? null, s.backfilledFrom ?? null, JSON.stringify(s.ruleIds.map((ruleId) => ({ ruleId })))],
  )
  if (rows[0] !== undefined) return recordOf(rows[0])
  return scanById(db, s.tenantId, s.id!)
}

export async function scanById(db: pg.Pool | pg.ClientBase, tenantId: string, id: string): Promise<ScanRecord> {
  const { rows } = await db.query(`SELECT ${COLUMNS} FROM scans WHERE tenant_id = $1 AND id = $2`, [tenantId, id])
  if (rows[0] === undefined) throw new NotFoundError('scan', id)
  return recordOf(rows[0])
}

export interface ScanPage {
  records: { record: ScanRecord; cursor: string }[]
  hasNextPage: boolean
}

/** The tenant's scans, newest first, optionally of one schedule or status. */
export async function listScans(
  db: pg.Pool,
  q: { tenantId: string; first: number; after?: string | null; scheduleId?: string | null; status?: ScanStatus[] | null },
): Promise<ScanPage> {
  const where = ['tenant_id = $1']
  const values: unknown[] = [q.tenantId]
  if (q.scheduleId) where.push(`schedule_id = $${values.push(q.scheduleId)}`)
  if (q.status && q.status.length > 0) where.push(`status = ANY($${values.push(q.status)}::"ScanStatus"[])`)
  if (q.after) {
    const c = decodeTimeCursor(q.after)
    where.push(`(created_at, id) < ($${values.push(c.time)}::timestamptz, $${values.push(c.id)}::uuid)`)
  }
  const { rows } = await db.query(`SELECT ${COLUMNS} FROM scans WHERE ${where.join(' AND ')} ORDER BY created_at DESC, id DESC LIMIT ${q.first + 1}`, values)
  const records = rows.slice(0, q.first).map((r) => {
    const record = recordOf(r)
    return { record, cursor: encodeCursor(String(record.createdAt.getTime()), record.id) }
  })
  return { records, hasNextPage: rows.length > q.first }
}

/** A UUID derived from a text (a scheduled run's job id): the same run gets the same scan. */
export function uuidFromText(text: string): string {
  const h = createHash('sha256').update(text).digest('hex')
  // Version 8 (custom) and the RFC 9562 variant, so it is a well-formed UUID.
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-8${h.slice(13, 16)}-${((parseInt(h[16]!, 16) & 0x3) | 0x8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`
}
