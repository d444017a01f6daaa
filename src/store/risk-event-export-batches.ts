import type pg from 'pg'
import { withTenantScope } from '../db/db-scope.js'

/**
 * Every risk event matching a filter, in batches, oldest first (time, then id): the order Splunk
 * indexes a log in. Keyset pagination as for detections (store/detection-export-batches.ts), each
 * query in the tenant's scope explicitly, for the same reason.
 */

export interface RiskEventExportFilter {
  tenantId: string
  ruleId?: string | null
  /** Risk object, exact and case-insensitive (as the riskObjects filter). */
  object?: string | null
  /** user, system or other. */
  type?: string | null
  /** Events at or after this time. */
  from?: Date | null
  /** Events at or before this time. */
  to?: Date | null
}

export interface RiskEventExportRecord {
  id: string
  time: Date
  detectionId: string
  uploadId: string
  ruleId: string
  ruleRevision: number
  object: string
  type: string
  score: number
  message: string
  threatObjects: { value: string; type: string }[]
  mitreTechniques: string[]
}

interface RiskEventRow {
  id: string
  time: Date
  detection_id: string
  upload_id: string
  rule_id: string
  rule_revision: number
  risk_object: string
  risk_object_type: string
  risk_score: number
  risk_message: string
  threat_objects: { value: string; type: string }[]
  mitre_techniques: string[]
}

function whereClause(f: RiskEventExportFilter): { sql: string; params: unknown[] } {
  const params: unknown[] = [f.tenantId]
  const parts = ['tenant_id = $1']
  const add = (sql: string, value: unknown): void => {
    params.push(value)
    parts.push(sql.replaceAll('$?', `$${params.length}`))
  }
  if (f.ruleId != null) add('rule_id = $?::uuid', f.ruleId)
  if (f.object != null) add('lower(risk_object) = lower($?)', f.object)
  if (f.type != null) add('risk_object_type = $?', f.type)
  if (f.from) add('time >= $?', f.from)
  if (f.to) add('time <= $?', f.to)
  return { sql: parts.join(' AND '), params }
}

export async function* riskEventBatches(pool: pg.Pool, filter: RiskEventExportFilter, batchSize: number): AsyncGenerator<RiskEventExportRecord[]> {
  const where = whereClause(filter)
  let after: { time: Date; id: string } | null = null
  for (;;) {
    const params = [...where.params]
    let keyset = ''
    if (after) {
      params.push(after.time, after.id)
      keyset = ` AND (time, id) > ($${params.length - 1}, $${params.length}::bigint)`
    }
    params.push(batchSize)
    const { rows } = await withTenantScope(filter.tenantId, () =>
      pool.query<RiskEventRow>(
        // Ordered by the bigint column: the text alias `id` would sort 10 before 9.
        `SELECT id::text AS id, time, detection_id, upload_id, rule_id, rule_revision, risk_object, risk_object_type, risk_score, risk_message,
                threat_objects, mitre_techniques
         FROM risk_events WHERE ${where.sql}${keyset} ORDER BY time, risk_events.id LIMIT $${params.length}`,
        params,
      ),
    )
    if (rows.length > 0) yield rows.map(riskEventRecord)
    if (rows.length < batchSize) return
    const last = rows.at(-1)!
    after = { time: last.time, id: last.id }
  }
}

function riskEventRecord(r: RiskEventRow): RiskEventExportRecord {
  return {
    id: r.id,
    time: r.time,
    detectionId: r.detection_id,
    uploadId: r.upload_id,
    ruleId: r.rule_id,
    ruleRevision: r.rule_revision,
    object: r.risk_object,
    type: r.risk_object_type,
    score: r.risk_score,
    message: r.risk_message,
    threatObjects: r.threat_objects,
    mitreTechniques: r.mitre_techniques,
  }
}
