import type pg from 'pg'
import { withTenantScope } from '../db/db-scope.js'
import type { RuleTags } from '../detection/index.js'

/**
 * What exports and ATT&CK coverage need of every rule of a tenant: names and tags, without the YAML
 * and search text the full rows carry. A tenant has hundreds of rules at most, so they are read
 * once per export, beside the rows that stream.
 */

export interface CatalogRule {
  id: string
  escuId: string
  name: string
  enabled: boolean
  analyticStories: readonly string[]
  mitreAttackIds: readonly string[]
}

export async function ruleCatalog(pool: pg.Pool, tenantId: string): Promise<Map<string, CatalogRule>> {
  const { rows } = await withTenantScope(tenantId, () =>
    pool.query<{ id: string; escu_id: string; name: string; enabled: boolean; tags: Partial<RuleTags> | null }>(
      `SELECT id, escu_id, name, enabled, definition->'tags' AS tags FROM rules WHERE tenant_id = $1 ORDER BY name, id`,
      [tenantId],
    ),
  )
  return new Map(
    rows.map((r) => [
      r.id,
      { id: r.id, escuId: r.escu_id, name: r.name, enabled: r.enabled, analyticStories: r.tags?.analyticStories ?? [], mitreAttackIds: r.tags?.mitreAttackIds ?? [] },
    ]),
  )
}
