import type pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { withTenantScope } from '../../src/db/db-scope.js'
import { createPrisma, type PrismaClient } from '../../src/db/prisma.js'
import { loadRuleRows } from '../../src/store/rule-row-cache.js'
import { deleteRule, importRules, setRuleEnabled } from '../../src/store/rules.js'
import { createTenant } from '../../src/store/tenants.js'
import { SEED_RULE_YAML } from '../helpers/fixtures.js'
import { openScopedTestDatabase, type ScopedTestDatabase } from '../helpers/scoped-database.js'

// Rule rows kept between requests must never be served once the row changed, by any writer,
// and never to another tenant.
describe('rule rows kept between requests', () => {
  let scoped: ScopedTestDatabase
  let ownerPool: pg.Pool
  let appPool: pg.Pool
  let prisma: PrismaClient
  /** Prisma over the application role's pool, as the service's resolvers use it. */
  let appPrisma: PrismaClient

  beforeAll(async () => {
    scoped = await openScopedTestDatabase()
    ;({ ownerPool, appPool, prisma } = scoped)
    appPrisma = createPrisma(appPool)
  })
  afterAll(async () => {
    await appPrisma?.$disconnect()
    await scoped?.close()
  })

  async function tenantWithRule(name: string): Promise<{ tenantId: string; ruleId: string }> {
    const { tenant } = await createTenant(prisma, name)
    const imported = await importRules(prisma, tenant.id, SEED_RULE_YAML)
    return { tenantId: tenant.id, ruleId: imported.rules[0]!.id }
  }
  const load = (tenantId: string, ids: string[]) => withTenantScope(tenantId, () => loadRuleRows(appPool, appPrisma, tenantId, ids))

  it('serves the remembered row while it is unchanged, and the new one after any update', async () => {
    const { tenantId, ruleId } = await tenantWithRule('cache-updates')
    const first = (await load(tenantId, [ruleId])).get(ruleId)!
    expect(first.enabled).toBe(true)
    // Unchanged: the very same object, not read again.
    expect((await load(tenantId, [ruleId])).get(ruleId)).toBe(first)
    await withTenantScope(tenantId, () => setRuleEnabled(appPrisma, tenantId, ruleId, false))
    expect((await load(tenantId, [ruleId])).get(ruleId)!.enabled).toBe(false)
    // A change in plain SQL, which no application code announces, is seen too.
    await ownerPool.query("UPDATE rules SET name = 'Renamed in SQL' WHERE id = $1", [ruleId])
    expect((await load(tenantId, [ruleId])).get(ruleId)!.name).toBe('Renamed in SQL')
    await withTenantScope(tenantId, () => deleteRule(appPrisma, tenantId, ruleId))
    expect((await load(tenantId, [ruleId])).has(ruleId)).toBe(false)
  })

  it('never gives one tenant’s remembered rule to another', async () => {
    const mine = await tenantWithRule('cache-mine')
    const theirs = await tenantWithRule('cache-theirs')
    expect((await load(theirs.tenantId, [theirs.ruleId])).size).toBe(1)
    // Asked in my scope for their rule (even naming their tenant): row-level security hides it.
    expect((await load(mine.tenantId, [theirs.ruleId])).size).toBe(0)
    expect((await withTenantScope(mine.tenantId, () => loadRuleRows(appPool, appPrisma, theirs.tenantId, [theirs.ruleId]))).size).toBe(0)
    expect([...(await load(mine.tenantId, [mine.ruleId, theirs.ruleId])).keys()]).toEqual([mine.ruleId])
  })
})
