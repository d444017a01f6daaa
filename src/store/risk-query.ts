import type pg from 'pg'
import { riskObjectRecord, type RiskObjectRow } from './risk-object-row.js'
import { queryRiskObjectTotals } from './risk-object-totals.js'
import { isUuid } from './rules.js'

/** Risk-based alerting view: risk scores summed per risk object (as Splunk ES's risk analysis). */

export interface RiskObjectRecord {
  object: string
  type: string
  totalScore: number
  riskEventCount: number
  ruleIds: string[]
  techniqueIds: string[]
  firstSeen: Date
  lastSeen: Date
}

export interface RiskObjectQuery {
  tenantId: string
  type?: string | null
  object?: string | null
  ruleId?: string | null
  from?: Date | null
  to?: Date | null
  first: number
}

/**
 * The top `q.first` risk objects by total score (then type, then object). Without a time window or
 * a rule, from the totals Postgres keeps per object (risk-object-totals.ts); those cannot say which
 * part of an object's score falls in a window or comes from a rule, so then from the risk events.
 */
export async function queryRiskObjects(pool: pg.Pool, q: RiskObjectQuery): Promise<RiskObjectRecord[]> {
  if (q.from == null && q.to == null && q.ruleId == null) return queryRiskObjectTotals(pool, q)
  return aggregateRiskEvents(pool, q)
}

/** queryRiskObjects by aggregating the tenant's risk events that match `q`, for any filter. */
export async function aggregateRiskEvents(pool: pg.Pool, q: RiskObjectQuery): Promise<RiskObjectRecord[]> {
  const params: unknown[] = [q.tenantId]
  const parts = ['tenant_id = $1']
  const add = (sql: string, v: unknown): void => {
    params.push(v)
    parts.push(sql.replace('$?', `$${params.length}`))
  }
  if (q.type != null) add('risk_object_type = $?', q.type)
  if (q.object != null) add('lower(risk_object) = lower($?)', q.object)
  if (q.ruleId != null) add('rule_id = $?::uuid', isUuid(q.ruleId) ? q.ruleId : '00000000-0000-0000-0000-000000000000')
  if (q.from) add('time >= $?', q.from)
  if (q.to) add('time <= $?', q.to)
  params.push(q.first)
  const where = parts.join(' AND ')
  const { rows } = await pool.query<RiskObjectRow>(
    // Summed per rule first (a hash aggregate of few groups), then per object; the techniques only
    // for the objects on the page, through the (tenant, type, object) index, not a scan per object.
    `WITH per_rule AS (
       SELECT risk_object, risk_object_type, rule_id, sum(risk_score) AS total, count(*) AS n, min(time) AS first_seen, max(time) AS last_seen
       FROM risk_events WHERE ${where} GROUP BY risk_object, risk_object_type, rule_id
     ), g AS (
       SELECT risk_object, risk_object_type, sum(total) AS total, sum(n) AS n, array_agg(rule_id::text ORDER BY rule_id::text) AS rule_ids,
              min(first_seen) AS first_seen, max(last_seen) AS last_seen
       FROM per_rule GROUP BY risk_object, risk_object_type
       ORDER BY total DESC, risk_object_type, risk_object LIMIT $${params.length}
     )
     SELECT g.*, t.techniques FROM g
     LEFT JOIN LATERAL (
       SELECT array_agg(DISTINCT technique ORDER BY technique) AS techniques
       FROM risk_events e CROSS JOIN unnest(e.mitre_techniques) AS technique
       WHERE ${where} AND e.risk_object_type = g.risk_object_type AND e.risk_object = g.risk_object
     ) t ON true
     ORDER BY g.total DESC, g.risk_object_type, g.risk_object`,
    params,
  )
  return rows.map(riskObjectRecord)
}
