import type pg from 'pg'
import { riskObjectRecord, type RiskObjectRow } from './risk-object-row.js'
import type { RiskObjectRecord } from './risk-query.js'

/**
 * riskObjects from the totals Postgres keeps per risk object as risk events change (table
 * risk_object_totals, migration 20261203000000_risk_object_totals): insert-only rows whose
 * aggregate per object (sum, sum, union, union, min, max) is what aggregating the object's risk
 * events gives. A tenant with 200,000 risk events over 700 objects reads about 700 rows.
 */

export interface RiskObjectTotalsQuery {
  tenantId: string
  type?: string | null
  object?: string | null
  first: number
}

/** Stored rows per object above which a read merges the tenant's rows (compaction). */
const COMPACT_ABOVE_ROWS_PER_OBJECT = 2
/** …plus this many, so that a tenant with a handful of objects is not compacted at every write. */
const COMPACT_SLACK_ROWS = 64

/** The top `first` objects by total score (then type, then object), as queryRiskObjects orders them. */
export async function queryRiskObjectTotals(pool: pg.Pool, q: RiskObjectTotalsQuery): Promise<RiskObjectRecord[]> {
  const params: unknown[] = [q.tenantId]
  const parts = ['tenant_id = $1']
  if (q.type != null) {
    params.push(q.type)
    parts.push(`risk_object_type = $${params.length}`)
  }
  if (q.object != null) {
    params.push(q.object)
    parts.push(`lower(risk_object) = lower($${params.length})`)
  }
  params.push(q.first)
  const { rows } = await pool.query<RiskObjectRow & { stored_rows: string; objects: string }>(
    // Sums, counts and times over every object. Unions only for the objects on the page: an
    // object's only row (the usual state after a compaction) holds its arrays distinct and sorted
    // as returned (migration 20261203000100_risk_object_totals_sorted_arrays); several rows are
    // unnested, merged and sorted (the CASE runs that subquery only for those).
    `WITH g AS MATERIALIZED (
       SELECT risk_object, risk_object_type, sum(total_score) AS total, sum(risk_event_count) AS n,
              min(first_seen) AS first_seen, max(last_seen) AS last_seen, count(*) AS stored_rows,
              CASE WHEN count(*) = 1 THEN min(rule_ids) END AS only_rule_ids, CASE WHEN count(*) = 1 THEN min(mitre_techniques) END AS only_techniques
       FROM risk_object_totals WHERE ${parts.join(' AND ')} GROUP BY risk_object, risk_object_type
     ), page AS (
       SELECT * FROM g WHERE n > 0 ORDER BY total DESC, risk_object_type, risk_object LIMIT $${params.length}
     )
     SELECT p.risk_object, p.risk_object_type, p.total, p.n, p.first_seen, p.last_seen,
       CASE WHEN p.stored_rows = 1 THEN p.only_rule_ids::text[] ELSE
         ARRAY(SELECT DISTINCT r::text FROM risk_object_totals t CROSS JOIN unnest(t.rule_ids) AS r
               WHERE t.tenant_id = $1 AND t.risk_object_type = p.risk_object_type AND t.risk_object = p.risk_object ORDER BY 1) END AS rule_ids,
       CASE WHEN p.stored_rows = 1 THEN p.only_techniques ELSE
         ARRAY(SELECT DISTINCT m FROM risk_object_totals t CROSS JOIN unnest(t.mitre_techniques) AS m
               WHERE t.tenant_id = $1 AND t.risk_object_type = p.risk_object_type AND t.risk_object = p.risk_object ORDER BY 1) END AS techniques,
       (SELECT sum(stored_rows) FROM g) AS stored_rows, (SELECT count(*) FROM g) AS objects
     FROM page p
     ORDER BY p.total DESC, p.risk_object_type, p.risk_object`,
    params,
  )
  const first = rows[0]
  if (first !== undefined && Number(first.stored_rows) > COMPACT_ABOVE_ROWS_PER_OBJECT * Number(first.objects) + COMPACT_SLACK_ROWS) {
    await compactOnce(pool, q.tenantId)
  }
  return rows.map(riskObjectRecord)
}

/** Tenants this process is compacting: fifty concurrent reads start one compaction, not fifty. */
const compacting = new Set<string>()

/**
 * Compaction from the read path rather than from the workers: the rows matter only to reads, a
 * tenant nobody reads is never compacted, and a worker's transaction stays as short as it was.
 * The read that finds too many rows merges them before it answers (a few milliseconds, rarely:
 * once rows pile up again), in the request's tenant scope like the read itself; a read while
 * another compacts the same tenant answers at once. It never waits on a lock (a try-lock).
 */
async function compactOnce(pool: pg.Pool, tenantId: string): Promise<void> {
  if (compacting.has(tenantId)) return
  compacting.add(tenantId)
  try {
    await compactRiskObjectTotals(pool, tenantId)
  } finally {
    compacting.delete(tenantId)
  }
}

/**
 * Replaces a tenant's rows by one row per object (arrays distinct and sorted, as every row's are), aggregated from exactly the rows this statement
 * deleted (RETURNING), so no object's aggregate changes whatever runs concurrently: rows a
 * transaction has not committed are neither read nor deleted. A recompute at COMMIT (see the
 * migration) deletes an object's rows and inserts one from its risk events, which must not
 * interleave with a compaction: both take the tenant's advisory lock, and a compaction that finds
 * it taken does nothing (returns false).
 */
export async function compactRiskObjectTotals(pool: pg.Pool, tenantId: string): Promise<boolean> {
  const { rows } = await pool.query<{ mine: boolean }>(
    `WITH turn AS (SELECT pg_try_advisory_xact_lock(risk_object_totals_lock($1::uuid)) AS mine),
     merged AS MATERIALIZED (
       DELETE FROM risk_object_totals WHERE tenant_id = $1::uuid AND (SELECT mine FROM turn)
       RETURNING risk_object_type, risk_object, total_score, risk_event_count, rule_ids, mitre_techniques, first_seen, last_seen
     ), inserted AS (
       INSERT INTO risk_object_totals (tenant_id, risk_object_type, risk_object, total_score, risk_event_count, rule_ids, mitre_techniques, first_seen, last_seen)
       SELECT $1::uuid, s.risk_object_type, s.risk_object, s.total_score, s.risk_event_count, coalesce(r.rule_ids, '{}'), coalesce(t.techniques, '{}'), s.first_seen, s.last_seen
       FROM (SELECT risk_object_type, risk_object, sum(total_score) AS total_score, sum(risk_event_count) AS risk_event_count,
                    min(first_seen) AS first_seen, max(last_seen) AS last_seen
             FROM merged GROUP BY 1, 2) s
       LEFT JOIN (SELECT risk_object_type, risk_object, array_agg(DISTINCT r::text ORDER BY r::text)::uuid[] AS rule_ids
                  FROM merged CROSS JOIN unnest(rule_ids) AS r GROUP BY 1, 2) r
         USING (risk_object_type, risk_object)
       LEFT JOIN (SELECT risk_object_type, risk_object, array_agg(DISTINCT m ORDER BY m) AS techniques
                  FROM merged CROSS JOIN unnest(mitre_techniques) AS m GROUP BY 1, 2) t
         USING (risk_object_type, risk_object)
     )
     SELECT mine FROM turn`,
    [tenantId],
  )
  return rows[0]?.mine === true
}
