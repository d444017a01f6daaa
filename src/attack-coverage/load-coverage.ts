import type pg from 'pg'
import { withTenantScope } from '../db/db-scope.js'
import { NotFoundError } from '../errors.js'
import { ruleCatalog } from '../store/rule-catalog.js'
import { ruleDetectionStats } from '../store/rule-detection-stats.js'
import { buildAttackCoverage, type AttackCoverage } from './coverage-matrix.js'
import { navigatorLayer, type NavigatorLayer } from './navigator-layer.js'

/** A tenant's ATT&CK coverage and its Navigator layer, from its rules and detections (GraphQL, HTTP and CLI alike). */

export async function loadAttackCoverage(pool: pg.Pool, tenantId: string, opts: { includeUncovered: boolean }): Promise<AttackCoverage> {
  const [rules, stats] = await Promise.all([ruleCatalog(pool, tenantId), ruleDetectionStats(pool, tenantId)])
  return buildAttackCoverage([...rules.values()], stats, opts)
}

export async function loadNavigatorLayer(pool: pg.Pool, tenantId: string, generatedAt: Date): Promise<NavigatorLayer> {
  const [coverage, tenant] = await Promise.all([
    loadAttackCoverage(pool, tenantId, { includeUncovered: false }),
    withTenantScope(tenantId, () => pool.query<{ name: string }>('SELECT name FROM tenants WHERE id = $1', [tenantId])),
  ])
  const tenantName = tenant.rows[0]?.name
  if (tenantName === undefined) throw new NotFoundError('Tenant', tenantId)
  return navigatorLayer(coverage, { tenantName, generatedAt })
}
