import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { withRequestScope, withSystemScope, withTenantScope, setRequestScope } from '../../src/db/db-scope.js'
import { createPool } from '../../src/db/pool.js'
import { readFixture, SEED_RULE_YAML } from '../helpers/fixtures.js'
import { createTestTenant } from '../helpers/tenant.js'
import { graphql, startTestService, type TestService } from '../helpers/test-service.js'
import { uploadMultipart, waitForUpload } from '../helpers/uploads.js'

/**
 * The second isolation layer: Postgres row-level security under the tenant filters in code. The
 * service's connections run as the application role, which cannot bypass the policies, with the
 * scope of the code that asked for them. Queries here deliberately forget the tenant filter.
 */

const NGROK_LOG = 'logs/sysmon/ngrok-synthetic.xml'

let svc: TestService
let tenantA: { id: string; key: string }
let tenantB: { id: string; key: string }
/** Connected like the service (application role, scope per checkout). */
let appPool: pg.Pool
/** Superuser: sees everything, to know what exists. */
let adminPool: pg.Pool
let tenantTables: string[]

beforeAll(async () => {
  svc = await startTestService()
  const a = await createTestTenant(svc.databaseUrl, 'rls-a')
  const b = await createTestTenant(svc.databaseUrl, 'rls-b')
  tenantA = { id: a.tenant.id, key: a.apiKey }
  tenantB = { id: b.tenant.id, key: b.apiKey }
  for (const t of [tenantA, tenantB]) {
    const imported = await graphql(svc.url, t.key, 'mutation ($y: String!) { importRules(yaml: $y) { errors { message } } }', { y: SEED_RULE_YAML })
    expect(imported.errors).toBeUndefined()
    const sent = await uploadMultipart(svc.url, t.key, 'ngrok.xml', readFixture(NGROK_LOG))
    expect(sent.errors).toBeUndefined()
    const done = await waitForUpload(svc.url, t.key, sent.data!.uploadLogs.id)
    expect(done.status, JSON.stringify(done)).not.toBe("FAILED")
    expect(done.detectionRows).toBeGreaterThan(0)
  }
  appPool = createPool(svc.databaseUrl, { max: 2, appRole: 'watchpost_app' })
  adminPool = new pg.Pool({ connectionString: svc.databaseUrl, max: 1 })
  tenantTables = (
    await adminPool.query<{ table_name: string }>(
      `SELECT c.table_name FROM information_schema.columns c JOIN information_schema.tables t USING (table_schema, table_name)
       WHERE c.table_schema = 'public' AND c.column_name = 'tenant_id' AND t.table_type = 'BASE TABLE' ORDER BY 1`,
    )
  ).rows.map((r) => r.table_name)
})

afterAll(async () => {
  await appPool?.end()
  await adminPool?.end()
  await svc?.close()
})

const countsByTenant = async (pool: pg.Pool, table: string): Promise<Record<string, number>> => {
  const { rows } = await pool.query<{ tenant_id: string; n: string }>(`SELECT tenant_id, count(*) AS n FROM "${table}" GROUP BY tenant_id`)
  return Object.fromEntries(rows.map((r) => [r.tenant_id, Number(r.n)]))
}

describe('row-level security', () => {
  it('covers every table that holds tenant data, forced, with a policy', async () => {
    expect(tenantTables).toEqual(expect.arrayContaining(['api_keys', 'rules', 'uploads', 'process_events', 'detections', 'risk_events']))
    const { rows } = await adminPool.query<{ relname: string; relrowsecurity: boolean; relforcerowsecurity: boolean; policies: string }>(
      `SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity, (SELECT count(*) FROM pg_policy p WHERE p.polrelid = c.oid) AS policies
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE n.nspname = 'public' AND c.relkind = 'r' AND c.relname <> '_prisma_migrations'`,
    )
    const unprotected = rows.filter((r) => !r.relrowsecurity || !r.relforcerowsecurity || Number(r.policies) === 0).map((r) => r.relname)
    expect(unprotected).toEqual([])
  })

  it('runs the service as a role that cannot bypass it', async () => {
    const who = await withTenantScope(tenantA.id, () => appPool.query<{ current_user: string }>('SELECT current_user'))
    expect(who.rows[0]!.current_user).toBe('watchpost_app')
    const role = await adminPool.query<{ rolsuper: boolean; rolbypassrls: boolean }>("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = 'watchpost_app'")
    expect(role.rows[0]).toEqual({ rolsuper: false, rolbypassrls: false })
    const owned = await adminPool.query("SELECT relname FROM pg_class WHERE relowner = (SELECT oid FROM pg_roles WHERE rolname = 'watchpost_app')")
    expect(owned.rows).toEqual([])
  })

  it('a query that forgets the tenant filter still returns nothing of another tenant', async () => {
    for (const table of tenantTables) {
      const all = await countsByTenant(adminPool, table)
      const seenByA = await withTenantScope(tenantA.id, () => countsByTenant(appPool, table))
      expect(Object.keys(seenByA).filter((t) => t !== tenantA.id), table).toEqual([])
      expect(seenByA[tenantA.id] ?? 0, table).toBe(all[tenantA.id] ?? 0)
    }
    // The data is there for both tenants: the test would notice a policy that hides everything.
    const events = await countsByTenant(adminPool, 'process_events')
    expect(events[tenantA.id]).toBeGreaterThan(0)
    expect(events[tenantB.id]).toBeGreaterThan(0)
    const chunks = await withTenantScope(tenantA.id, () => appPool.query<{ n: string }>('SELECT count(*) AS n FROM upload_chunks'))
    const chunksOfA = await adminPool.query<{ n: string }>('SELECT count(*) AS n FROM upload_chunks c JOIN uploads u ON u.id = c.upload_id WHERE u.tenant_id = $1', [tenantA.id])
    expect(Number(chunks.rows[0]!.n)).toBe(Number(chunksOfA.rows[0]!.n))
    const tenants = await withTenantScope(tenantA.id, () => appPool.query<{ id: string }>('SELECT id FROM tenants'))
    expect(tenants.rows.map((r) => r.id)).toEqual([tenantA.id])
  })

  it('refuses to write another tenant\'s rows, and to move a row to another tenant', async () => {
    const insert = withTenantScope(tenantA.id, () =>
      appPool.query("INSERT INTO macros (id, tenant_id, name, definition, yaml, updated_at) VALUES (gen_random_uuid(), $1, 'x', 'y', 'z', now())", [tenantB.id]),
    )
    await expect(insert).rejects.toThrow(/row-level security/)
    const moved = withTenantScope(tenantA.id, () => appPool.query('UPDATE uploads SET tenant_id = $1', [tenantB.id]))
    await expect(moved).rejects.toThrow(/row-level security/)
    const deleted = await withTenantScope(tenantA.id, () => appPool.query('DELETE FROM detections WHERE tenant_id = $1', [tenantB.id]))
    expect(deleted.rowCount).toBe(0)
  })

  it('shows no tenant rows to code without a scope, or before a request names its caller', async () => {
    const unscoped = await appPool.query<{ n: string }>('SELECT count(*) AS n FROM detections')
    expect(Number(unscoped.rows[0]!.n)).toBe(0)
    const early = await withRequestScope(() => appPool.query<{ n: string }>('SELECT count(*) AS n FROM rules'))
    expect(Number(early.rows[0]!.n)).toBe(0)
    const named = await withRequestScope(async () => {
      setRequestScope({ kind: 'tenant', tenantId: tenantB.id })
      return appPool.query<{ tenant_id: string }>('SELECT DISTINCT tenant_id FROM rules')
    })
    expect(named.rows.map((r) => r.tenant_id)).toEqual([tenantB.id])
    const system = await withSystemScope(() => countsByTenant(appPool, 'rules'))
    expect(Object.keys(system).sort()).toEqual([tenantA.id, tenantB.id].sort())
  })

  it('keeps the scope of each of many interleaved requests of two tenants', async () => {
    const ask = (t: { id: string }) => withTenantScope(t.id, () => appPool.query<{ tenant_id: string }>('SELECT DISTINCT tenant_id FROM uploads'))
    const answers = await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? tenantA : tenantB)).map(async (t) => ({ t, rows: (await ask(t)).rows })))
    for (const { t, rows } of answers) expect(rows.map((r) => r.tenant_id)).toEqual([t.id])
  })

  it('gives one reused connection the scope of each checkout, also after a rolled-back transaction', async () => {
    // One connection: every checkout reuses it, so a scope it kept from the last one would show.
    const single = createPool(svc.databaseUrl, { max: 1, appRole: 'watchpost_app' })
    const scopeOf = async () =>
      (await single.query<{ t: string | null; s: string | null; r: string }>(
        "SELECT current_setting('watchpost.tenant_id', true) AS t, current_setting('watchpost.system', true) AS s, current_user AS r",
      )).rows[0]!
    try {
      const a = { t: tenantA.id, s: 'off', r: 'watchpost_app' }
      const b = { t: tenantB.id, s: 'off', r: 'watchpost_app' }
      expect(await withTenantScope(tenantA.id, scopeOf)).toEqual(a)
      expect(await withTenantScope(tenantA.id, scopeOf)).toEqual(a)
      expect(await withTenantScope(tenantB.id, scopeOf)).toEqual(b)
      expect(await scopeOf()).toEqual({ t: '', s: 'off', r: 'watchpost_app' })
      expect(await withSystemScope(scopeOf)).toEqual({ t: '', s: 'on', r: 'watchpost_app' })
      await withTenantScope(tenantA.id, async () => {
        const client = await single.connect()
        try {
          await client.query('BEGIN')
          await client.query('SELECT 1')
          await client.query('ROLLBACK')
        } finally {
          client.release()
        }
      })
      expect(await withTenantScope(tenantA.id, scopeOf)).toEqual(a)
      expect(await withTenantScope(tenantB.id, () => single.query<{ tenant_id: string }>('SELECT DISTINCT tenant_id FROM uploads'))).toMatchObject({ rows: [{ tenant_id: tenantB.id }] })
    } finally {
      await single.end()
    }
  })

  it('serves each tenant its own data through the API while both ask at once', async () => {
    const query = '{ uploads { edges { node { id } } } rules { id } }'
    const [a, b] = await Promise.all([graphql(svc.url, tenantA.key, query), graphql(svc.url, tenantB.key, query)])
    expect(a.errors).toBeUndefined()
    expect(b.errors).toBeUndefined()
    const ids = (r: typeof a) => (r.data as { uploads: { edges: { node: { id: string } }[] } }).uploads.edges.map((e) => e.node.id)
    const own = async (tenant: string) => (await adminPool.query<{ id: string }>('SELECT id FROM uploads WHERE tenant_id = $1', [tenant])).rows.map((r) => r.id)
    expect(ids(a).sort()).toEqual((await own(tenantA.id)).sort())
    expect(ids(b).sort()).toEqual((await own(tenantB.id)).sort())
  })
})
