import type pg from 'pg'
import { decodeTimeCursor, encodeCursor } from './cursor.js'
import { answerableByCounts, countDetectionsFromCounts } from './detection-counts.js'
import { isUuid } from './rules.js'

/** Reads grouped detections, newest lastTime first, with keyset pagination. */

export type DetectionStatus = 'NEW' | 'ACKNOWLEDGED' | 'CLOSED_TRUE_POSITIVE' | 'CLOSED_FALSE_POSITIVE'

export interface DetectionRecord {
  id: string
  ruleId: string
  ruleRevision: number
  fields: Record<string, string>
  count: number
  firstTime: Date | null
  lastTime: Date | null
  status: DetectionStatus
  assignee: string | null
  statusChangedAt: Date
  /** The detection this one is suppressed into (the rule's alert suppression), or null. */
  suppressedInto: string | null
}

export interface DetectionQuery {
  tenantId: string
  ruleIds?: string[] | null
  dest?: string | null
  user?: string | null
  from?: Date | null
  to?: Date | null
  /** Any of these statuses. */
  status?: DetectionStatus[] | null
  /** Exact, case-insensitive. */
  assignee?: string | null
  /** true: assigned only; false: unassigned only. */
  assigned?: boolean | null
  /** Also detections suppressed into another (left out by default, as they are counted there). */
  includeSuppressed?: boolean | null
  first: number
  after?: string | null
}

export interface DetectionPage {
  records: { cursor: string; record: DetectionRecord }[]
  hasNextPage: boolean
  totalCount: number
}

export interface DetectionRow {
  id: string
  rule_id: string
  rule_revision: number
  fields: Record<string, string>
  count: string
  first_time: Date | null
  last_time: Date | null
  status: DetectionStatus
  assignee: string | null
  status_changed_at: Date
  suppressed_into: string | null
}

/** The columns of a DetectionRow, for every query that reads detections. */
export const DETECTION_COLUMNS = 'id, rule_id, rule_revision, fields, count, first_time, last_time, status, assignee, status_changed_at, suppressed_into'

export function detectionRecord(r: DetectionRow): DetectionRecord {
  return {
    id: r.id,
    ruleId: r.rule_id,
    ruleRevision: r.rule_revision,
    fields: r.fields,
    count: Number(r.count),
    firstTime: r.first_time,
    lastTime: r.last_time,
    status: r.status,
    assignee: r.assignee,
    statusChangedAt: r.status_changed_at,
    suppressedInto: r.suppressed_into,
  }
}

/** The WHERE clause of a detection filter (also used by the detection export). */
export function whereClause(q: DetectionQuery): { sql: string; params: unknown[] } {
  const params: unknown[] = [q.tenantId]
  const parts = ['tenant_id = $1']
  const add = (sql: string, value: unknown): void => {
    params.push(value)
    parts.push(sql.replaceAll('$?', `$${params.length}`))
  }
  if (q.ruleIds) add('rule_id = ANY($?::uuid[])', q.ruleIds.filter(isUuid))
  if (q.dest != null) add("lower(fields->>'dest') = lower($?)", q.dest)
  if (q.user != null) add("lower(fields->>'user') = lower($?)", q.user)
  if (q.from) add('last_time >= $?', q.from)
  if (q.to) add('first_time <= $?', q.to)
  if (q.status) add('status = ANY($?::"DetectionStatus"[])', q.status)
  if (q.assignee != null) add('lower(assignee) = lower($?)', q.assignee.trim())
  if (q.assigned != null) parts.push(q.assigned ? 'assignee IS NOT NULL' : 'assignee IS NULL')
  if (q.includeSuppressed !== true) parts.push('suppressed_into IS NULL')
  return { sql: parts.join(' AND '), params }
}

export async function queryDetections(pool: pg.Pool, q: DetectionQuery): Promise<DetectionPage> {
  const where = whereClause(q)
  const params = [...where.params]
  let keyset = ''
  if (q.after) {
    const c = decodeTimeCursor(q.after)
    params.push(c.time, c.id)
    keyset = ` AND (last_time, id) < ($${params.length - 1}, $${params.length})`
  }
  params.push(q.first + 1)
  const [page, total] = await Promise.all([
    pool.query<DetectionRow>(
      `SELECT ${DETECTION_COLUMNS} FROM detections
       WHERE ${where.sql}${keyset} ORDER BY last_time DESC, id DESC LIMIT $${params.length}`,
      params,
    ),
    countDetections(pool, q, where),
  ])
  const rows = page.rows.slice(0, q.first)
  return {
    records: rows.map((r) => ({
      cursor: encodeCursor(String(r.last_time?.getTime() ?? 0), r.id),
      record: detectionRecord(r),
    })),
    hasNextPage: page.rows.length > q.first,
    totalCount: total,
  }
}

/** The number of detections matching `q`: from the kept counts where they can answer, else counted. */
async function countDetections(pool: pg.Pool, q: DetectionQuery, where: { sql: string; params: unknown[] }): Promise<number> {
  if (answerableByCounts(q)) return countDetectionsFromCounts(pool, q)
  const { rows } = await pool.query<{ n: string }>(`SELECT count(*) AS n FROM detections WHERE ${where.sql}`, where.params)
  return Number(rows[0]!.n)
}

export interface RiskEventRecord {
  /** risk_events.id (a bigint, as text). */
  id: string
  /** The detection and the upload whose grouped row wrote it (its contributing events are there). */
  detectionId: string
  uploadId: string
  object: string
  type: string
  score: number
  message: string
  time: Date
  threatObjects: { value: string; type: string }[]
}

/** The risk events of one detection (every upload's), most recent first. */
export async function riskEventsOfDetection(pool: pg.Pool, tenantId: string, detectionId: string): Promise<RiskEventRecord[]> {
  const { rows } = await pool.query<RiskEventRow>(
    `SELECT ${RISK_EVENT_COLUMNS} FROM risk_events
     WHERE tenant_id = $1 AND detection_id = $2 ORDER BY time DESC, risk_object_type, risk_object`,
    [tenantId, detectionId],
  )
  return rows.map(riskEventRecord)
}

/** A risk_events row as RISK_EVENT_COLUMNS reads it. */
export interface RiskEventRow {
  id: string
  detection_id: string
  upload_id: string
  risk_object: string
  risk_object_type: string
  risk_score: number
  risk_message: string
  time: Date
  threat_objects: RiskEventRecord['threatObjects']
}

/** The columns of a RiskEventRow, for every query that reads risk events for the API. */
export const RISK_EVENT_COLUMNS = 'id::text AS id, detection_id, upload_id, risk_object, risk_object_type, risk_score, risk_message, time, threat_objects'

export function riskEventRecord(r: RiskEventRow): RiskEventRecord {
  return {
    id: r.id,
    detectionId: r.detection_id,
    uploadId: r.upload_id,
    object: r.risk_object,
    type: r.risk_object_type,
    score: r.risk_score,
    message: r.risk_message,
    time: r.time,
    threatObjects: r.threat_objects,
  }
}
