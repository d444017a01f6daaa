import type pg from 'pg'
import { withTenantScope } from '../db/db-scope.js'
import type { RuleDetectionStats } from '../attack-coverage/coverage-matrix.js'

/** Per rule of a tenant: how many detections it has and the latest lastTime among them. */
export async function ruleDetectionStats(pool: pg.Pool, tenantId: string): Promise<Map<string, RuleDetectionStats>> {
  const { rows } = await withTenantScope(tenantId, () =>
    pool.query<{ rule_id: string; n: string; last_time: Date | null }>('SELECT rule_id, count(*) AS n, max(last_time) AS last_time FROM detections WHERE tenant_id = $1 GROUP BY rule_id', [tenantId]),
  )
  return new Map(rows.map((r) => [r.rule_id, { count: Number(r.n), lastTime: r.last_time }]))
}
