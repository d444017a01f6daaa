import type pg from 'pg'
import { decodeTimeSerialCursor, encodeCursor } from './cursor.js'
import { RISK_EVENT_COLUMNS, riskEventRecord, type RiskEventRecord, type RiskEventRow } from './detections-query.js'

/**
 * The risk events of some risk objects in a time window, newest first, a page at a time: the
 * answer to ESCU's drilldown `| from datamodel Risk.All_Risk | search normalized_risk_object IN
 * ("$user$", "$dest$") starthoursago=168`. Objects compare case-insensitively (ES normalises risk
 * objects for this field; its exact normalisation is not documented), of any type.
 */

export interface RiskEventsOfObjectsQuery {
  readonly tenantId: string
  readonly objects: readonly string[]
  /** Inclusive bounds of the events' time. */
  readonly from: Date
  readonly to: Date
  readonly first: number
  readonly after?: string | null
}

export interface RiskEventsPage {
  readonly edges: readonly { readonly cursor: string; readonly node: RiskEventRecord }[]
  readonly hasNextPage: boolean
  readonly totalCount: number
}

export async function riskEventsOfObjects(pool: pg.Pool, q: RiskEventsOfObjectsQuery): Promise<RiskEventsPage> {
  const objects = [...new Set(q.objects.map((o) => o.toLowerCase()))]
  if (objects.length === 0) return { edges: [], hasNextPage: false, totalCount: 0 }
  const where = 'tenant_id = $1 AND lower(risk_object) = ANY($2::text[]) AND time >= $3 AND time <= $4'
  const params: unknown[] = [q.tenantId, objects, q.from, q.to]
  const pageParams = [...params]
  let keyset = ''
  if (q.after) {
    const c = decodeTimeSerialCursor(q.after)
    pageParams.push(new Date(c.timeMs), c.id)
    keyset = ' AND (time, id) < ($5, $6::bigint)'
  }
  pageParams.push(q.first + 1)
  const [page, total] = await Promise.all([
    pool.query<RiskEventRow>(`SELECT ${RISK_EVENT_COLUMNS} FROM risk_events WHERE ${where}${keyset} ORDER BY time DESC, id DESC LIMIT $${pageParams.length}`, pageParams),
    pool.query<{ n: string }>(`SELECT count(*) AS n FROM risk_events WHERE ${where}`, params),
  ])
  return {
    edges: page.rows.slice(0, q.first).map((r) => ({ cursor: encodeCursor(String(r.time.getTime()), r.id), node: riskEventRecord(r) })),
    hasNextPage: page.rows.length > q.first,
    totalCount: Number(total.rows[0]!.n),
  }
}
