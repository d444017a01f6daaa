import type pg from 'pg'
import type { DetectionQuery } from './detections-query.js'
import { isUuid } from './rules.js'

/**
 * The triage queue's totalCount from the counts Postgres keeps as detections change (table
 * detection_counts, migration 20261203100000_detection_counts): insert-only deltas per (tenant,
 * rule, status, suppressed), summed here. A few hundred rows at most are read where counting
 * 60,000 open detections read them all.
 */

/** Rows of one tenant's sum above which they are merged (compaction), keeping each read small. */
export const COMPACT_ABOVE_ROWS = 256

/** The filters the counts can answer: status, rules and whether suppressed detections count. */
export function answerableByCounts(q: DetectionQuery): boolean {
  return q.dest == null && q.user == null && q.from == null && q.to == null && q.assignee == null && q.assigned == null
}

/**
 * The number of the tenant's detections matching `q` (answerableByCounts(q) must hold). When the
 * sum read many delta rows, the tenant's rows are merged first, in the same call, so that a tenant
 * whose detections change all day keeps a read of a few rows.
 */
export async function countDetectionsFromCounts(pool: pg.Pool, q: DetectionQuery): Promise<number> {
  const params: unknown[] = [q.tenantId]
  const parts = ['tenant_id = $1']
  if (q.status) {
    params.push(q.status)
    parts.push(`status = ANY($${params.length}::"DetectionStatus"[])`)
  }
  if (q.ruleIds) {
    params.push(q.ruleIds.filter(isUuid))
    parts.push(`rule_id = ANY($${params.length}::uuid[])`)
  }
  if (q.includeSuppressed !== true) parts.push('NOT suppressed')
  const { rows } = await pool.query<{ n: string; deltas: string }>(
    `SELECT coalesce(sum(n), 0)::bigint AS n, count(*) AS deltas FROM detection_counts WHERE ${parts.join(' AND ')}`,
    params,
  )
  const row = rows[0]!
  if (Number(row.deltas) > COMPACT_ABOVE_ROWS) await compactDetectionCounts(pool, q.tenantId)
  return Number(row.n)
}

/**
 * Replaces a tenant's delta rows by one row per group with their sum (groups summing to zero go):
 * every sum stays what it was. One statement, so one snapshot: rows a concurrent transaction has
 * not committed yet are neither read nor deleted, and count once when it commits. Two compactions
 * of one tenant do not wait for each other: the second finds the advisory lock taken and does nothing.
 */
export async function compactDetectionCounts(pool: pg.Pool, tenantId: string): Promise<void> {
  await pool.query(
    `WITH turn AS (SELECT pg_try_advisory_xact_lock(hashtextextended('detection_counts:' || $1::uuid::text, 0)) AS mine),
     merged AS (
       DELETE FROM detection_counts WHERE tenant_id = $1::uuid AND (SELECT mine FROM turn)
       RETURNING rule_id, status, suppressed, n
     )
     INSERT INTO detection_counts (tenant_id, rule_id, status, suppressed, n)
     SELECT $1::uuid, rule_id, status, suppressed, sum(n) FROM merged GROUP BY 1, 2, 3, 4 HAVING sum(n) <> 0`,
    [tenantId],
  )
}
