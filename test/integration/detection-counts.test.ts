import fc from 'fast-check'
import type pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { withTenantScope } from '../../src/db/db-scope.js'
import type { PrismaClient } from '../../src/db/prisma.js'
import { answerableByCounts, COMPACT_ABOVE_ROWS, compactDetectionCounts, countDetectionsFromCounts } from '../../src/store/detection-counts.js'
import type { DetectionQuery, DetectionStatus } from '../../src/store/detections-query.js'
import { queryDetections } from '../../src/store/detections-query.js'
import { createTenant, deleteTenant } from '../../src/store/tenants.js'
import { fuzzOptions } from '../helpers/fuzz.js'
import { openScopedTestDatabase, type ScopedTestDatabase } from '../helpers/scoped-database.js'

// The triage queue's counts kept by triggers on detections (migration 20261203100000_detection_counts)
// must equal counting the detections, after any sequence of inserts, upserts, updates, suppressions,
// deletes (with the suppressed_into cascade), rolled-back and concurrent transactions, and compaction.
// Writes go through the application role under row-level security, as the service writes them.

const STATUSES: DetectionStatus[] = ['NEW', 'ACKNOWLEDGED', 'CLOSED_TRUE_POSITIVE', 'CLOSED_FALSE_POSITIVE']
const RULES = ['11111111-1111-4111-8111-111111111111', '22222222-2222-4222-8222-222222222222', '33333333-3333-4333-8333-333333333333']

type Op =
  | { kind: 'insert'; rows: { rule: number; status: number; key: number }[] }
  | { kind: 'upsert'; rows: { rule: number; status: number; key: number }[] }
  | { kind: 'status'; pick: number; status: number }
  | { kind: 'suppress'; pick: number }
  | { kind: 'unsuppress'; pick: number }
  | { kind: 'delete'; pick: number }
  | { kind: 'recount'; pick: number }
  | { kind: 'rolledBack'; rows: { rule: number; status: number; key: number }[] }
  | { kind: 'compact' }

const row = fc.record({ rule: fc.nat(RULES.length - 1), status: fc.nat(STATUSES.length - 1), key: fc.nat(40) })
const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('insert' as const), rows: fc.array(row, { minLength: 1, maxLength: 8 }) }),
  fc.record({ kind: fc.constant('upsert' as const), rows: fc.array(row, { minLength: 1, maxLength: 8 }) }),
  fc.record({ kind: fc.constant('status' as const), pick: fc.nat(6), status: fc.nat(STATUSES.length - 1) }),
  fc.record({ kind: fc.constant('suppress' as const), pick: fc.nat(6) }),
  fc.record({ kind: fc.constant('unsuppress' as const), pick: fc.nat(6) }),
  fc.record({ kind: fc.constant('delete' as const), pick: fc.nat(6) }),
  fc.record({ kind: fc.constant('recount' as const), pick: fc.nat(6) }),
  fc.record({ kind: fc.constant('rolledBack' as const), rows: fc.array(row, { minLength: 1, maxLength: 4 }) }),
  fc.constant({ kind: 'compact' as const }),
)

/** Every combination of the filters the counts answer. */
function queries(tenantId: string): DetectionQuery[] {
  const out: DetectionQuery[] = []
  for (const status of [null, ['NEW'], ['NEW', 'ACKNOWLEDGED'], ['CLOSED_FALSE_POSITIVE', 'CLOSED_TRUE_POSITIVE']] as (DetectionStatus[] | null)[])
    for (const ruleIds of [null, [RULES[0]!], [RULES[1]!, RULES[2]!, 'not-a-uuid']])
      for (const includeSuppressed of [false, true]) out.push({ tenantId, status, ruleIds, includeSuppressed, first: 1 })
  return out
}

describe('triage queue counts kept by Postgres', () => {
  let scoped: ScopedTestDatabase
  let ownerPool: pg.Pool
  let appPool: pg.Pool
  let prisma: PrismaClient

  beforeAll(async () => {
    scoped = await openScopedTestDatabase({ appConnections: 4 })
    ;({ ownerPool, appPool, prisma } = scoped)
  })
  afterAll(async () => {
    await scoped?.close()
  })

  let tenants = 0
  const newTenant = async (): Promise<string> => (await createTenant(prisma, `counts-${++tenants}`)).tenant.id
  const asTenant = <T>(tenantId: string, fn: () => Promise<T>): Promise<T> => withTenantScope(tenantId, fn)

  /** The truth: counting the detections, as the owner (no row-level security in the way). */
  async function counted(q: DetectionQuery): Promise<number> {
    const { rows } = await ownerPool.query<{ n: string }>(
      `SELECT count(*) AS n FROM detections WHERE tenant_id = $1 AND ($2::text[] IS NULL OR status::text = ANY($2))
       AND ($3::text[] IS NULL OR rule_id::text = ANY($3)) AND ($4 OR suppressed_into IS NULL)`,
      [q.tenantId, q.status ?? null, q.ruleIds ?? null, q.includeSuppressed === true],
    )
    return Number(rows[0]!.n)
  }

  async function expectCountsEqual(tenantId: string): Promise<void> {
    for (const q of queries(tenantId)) {
      const kept = await asTenant(tenantId, () => countDetectionsFromCounts(appPool, q))
      expect({ q: { status: q.status, ruleIds: q.ruleIds, includeSuppressed: q.includeSuppressed }, n: kept }).toEqual({
        q: { status: q.status, ruleIds: q.ruleIds, includeSuppressed: q.includeSuppressed },
        n: await counted(q),
      })
    }
  }

  const deltaRows = async (tenantId: string): Promise<number> =>
    Number((await ownerPool.query<{ n: string }>('SELECT count(*) AS n FROM detection_counts WHERE tenant_id = $1', [tenantId])).rows[0]!.n)

  async function insert(client: pg.ClientBase | pg.Pool, tenantId: string, rows: { rule: number; status: number; key: number }[], upsert: boolean): Promise<void> {
    await client.query(
      `INSERT INTO detections (tenant_id, rule_id, group_key, fields, count, status)
       SELECT DISTINCT ON (r, k) $1, r, k, '{}', 1, s::"DetectionStatus" FROM unnest($2::uuid[], $3::text[], $4::text[]) AS x(r, k, s)
       ${upsert ? 'ON CONFLICT (tenant_id, rule_id, group_key) DO UPDATE SET status = excluded.status, count = detections.count + 1' : 'ON CONFLICT DO NOTHING'}`,
      [tenantId, rows.map((r) => RULES[r.rule]), rows.map((r) => `k${r.key}`), rows.map((r) => STATUSES[r.status])],
    )
  }

  /** Every `pick`-th detection (by id), so that operations touch varied subsets. */
  const picked = (pick: number, alias = 'detections'): string =>
    `${alias}.id IN (SELECT p.id FROM detections p WHERE p.tenant_id = $1 ORDER BY p.id OFFSET ${pick % 3} ROWS) AND (hashtext(${alias}.id::text) & 7) <= ${pick}`

  async function apply(tenantId: string, o: Op): Promise<void> {
    await asTenant(tenantId, async () => {
      switch (o.kind) {
        case 'insert':
        case 'upsert':
          return insert(appPool, tenantId, o.rows, o.kind === 'upsert')
        case 'status':
          await appPool.query(`UPDATE detections SET status = $2 WHERE ${picked(o.pick)}`, [tenantId, STATUSES[o.status]])
          return
        case 'suppress':
          // Into the oldest detection of the same rule (as alert suppression does).
          await appPool.query(
            `UPDATE detections d SET suppressed_into = f.id FROM (SELECT DISTINCT ON (rule_id) rule_id, id FROM detections WHERE tenant_id = $1 ORDER BY rule_id, group_key) f
             WHERE d.rule_id = f.rule_id AND d.id <> f.id AND ${picked(o.pick, 'd')}`,
            [tenantId],
          )
          return
        case 'unsuppress':
          await appPool.query(`UPDATE detections SET suppressed_into = NULL WHERE ${picked(o.pick)}`, [tenantId])
          return
        case 'delete':
          // Deleting a detection others are suppressed into un-suppresses them (ON DELETE SET NULL): a cascaded update.
          await appPool.query(`DELETE FROM detections WHERE ${picked(o.pick)}`, [tenantId])
          return
        case 'recount':
          await appPool.query(`UPDATE detections SET count = count + 1, last_time = now() WHERE ${picked(o.pick)}`, [tenantId])
          return
        case 'rolledBack': {
          const client = await appPool.connect()
          try {
            await client.query('BEGIN')
            await insert(client, tenantId, o.rows, true)
            await client.query('ROLLBACK')
          } finally {
            client.release()
          }
          return
        }
        case 'compact':
          return compactDetectionCounts(appPool, tenantId)
      }
    })
  }

  it('equal counting the detections after any sequence of writes', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 12 }), async (ops) => {
        const tenantId = await newTenant()
        for (const o of ops) await apply(tenantId, o)
        await expectCountsEqual(tenantId)
      }),
      fuzzOptions(25),
    )
  }, 120_000)

  it('are exact under concurrent transactions of one tenant, one of them rolled back, with a compaction in between', async () => {
    const tenantId = await newTenant()
    await apply(tenantId, { kind: 'insert', rows: [{ rule: 0, status: 0, key: 1 }, { rule: 1, status: 1, key: 2 }] })
    const [a, b, c] = await asTenant(tenantId, () => Promise.all([appPool.connect(), appPool.connect(), appPool.connect()]))
    try {
      await a.query('BEGIN')
      await b.query('BEGIN')
      await c.query('BEGIN')
      await insert(a, tenantId, [{ rule: 0, status: 0, key: 10 }, { rule: 0, status: 0, key: 11 }], false)
      await insert(b, tenantId, [{ rule: 0, status: 0, key: 20 }], false)
      await c.query("UPDATE detections SET status = 'CLOSED_FALSE_POSITIVE' WHERE tenant_id = $1 AND group_key = 'k1'", [tenantId])
      await b.query('COMMIT')
      // The merge sees b's rows but neither a's (uncommitted) nor c's (to be rolled back).
      await asTenant(tenantId, () => compactDetectionCounts(appPool, tenantId))
      await c.query('ROLLBACK')
      await a.query('COMMIT')
    } finally {
      for (const client of [a, b, c]) client.release()
    }
    await expectCountsEqual(tenantId)
    expect(await asTenant(tenantId, () => countDetectionsFromCounts(appPool, { tenantId, status: ['NEW'], first: 1 }))).toBe(4)
  })

  it('merge a tenant’s rows once a read sums more than the threshold, keeping every count', async () => {
    const tenantId = await newTenant()
    for (let i = 0; i <= COMPACT_ABOVE_ROWS; i++) await apply(tenantId, { kind: 'insert', rows: [{ rule: i % 3, status: i % 4, key: i }] })
    expect(await deltaRows(tenantId)).toBe(COMPACT_ABOVE_ROWS + 1)
    const all = { tenantId, includeSuppressed: true, first: 1 }
    expect(await asTenant(tenantId, () => countDetectionsFromCounts(appPool, all))).toBe(COMPACT_ABOVE_ROWS + 1)
    // Merged into one row per (rule, status) group: 3 rules × 4 statuses.
    expect(await deltaRows(tenantId)).toBe(12)
    await expectCountsEqual(tenantId)
  })

  it('show a tenant only its own counts, and go with the tenant', async () => {
    const [mine, theirs] = [await newTenant(), await newTenant()]
    await apply(mine, { kind: 'insert', rows: [{ rule: 0, status: 0, key: 1 }] })
    await apply(theirs, { kind: 'insert', rows: [{ rule: 0, status: 0, key: 1 }, { rule: 0, status: 0, key: 2 }] })
    // Asked for the other tenant's id, row-level security still shows only the caller's rows.
    expect(await asTenant(mine, () => countDetectionsFromCounts(appPool, { tenantId: theirs, first: 1 }))).toBe(0)
    const visible = await asTenant(mine, () => appPool.query<{ tenant_id: string }>('SELECT DISTINCT tenant_id FROM detection_counts'))
    expect(visible.rows).toEqual([{ tenant_id: mine }])
    await deleteTenant(ownerPool, theirs)
    expect(await deltaRows(theirs)).toBe(0)
    expect(await asTenant(mine, () => countDetectionsFromCounts(appPool, { tenantId: mine, first: 1 }))).toBe(1)
  })

  it('answer the triage queue’s totalCount, and leave filters they cannot answer to counting', async () => {
    const tenantId = await newTenant()
    await apply(tenantId, { kind: 'insert', rows: [0, 1, 2, 3, 4, 5].map((k) => ({ rule: k % 2, status: k % 4, key: k })) })
    await ownerPool.query("UPDATE detections SET first_time = now() - interval '1 hour', last_time = now() - interval '1 hour' WHERE tenant_id = $1", [tenantId])
    await ownerPool.query("UPDATE detections SET assignee = 'ana', fields = '{\"dest\":\"WS-1\"}' WHERE tenant_id = $1 AND group_key IN ('k0', 'k1')", [tenantId])
    const open: DetectionQuery = { tenantId, status: ['NEW', 'ACKNOWLEDGED'], first: 2 }
    const page = await asTenant(tenantId, () => queryDetections(appPool, open))
    expect(page.totalCount).toBe(await counted(open))
    expect(page.totalCount).toBe(4)
    // k0 (NEW) and k1 (ACKNOWLEDGED) are assigned and on WS-1; k4 and k5 are open too.
    const narrowed: [Partial<DetectionQuery>, number][] = [
      [{ assignee: 'ANA' }, 2],
      [{ assigned: true }, 2],
      [{ assigned: false }, 2],
      [{ dest: 'ws-1' }, 2],
      [{ user: 'x' }, 0],
      [{ from: new Date(Date.now() - 86_400_000) }, 4],
      [{ to: new Date(Date.now() - 86_400_000) }, 0],
    ]
    for (const [narrower, expected] of narrowed) {
      const q = { ...open, ...narrower }
      expect(answerableByCounts(q)).toBe(false)
      const total = (await asTenant(tenantId, () => queryDetections(appPool, q))).totalCount
      expect({ narrower, total }).toEqual({ narrower, total: expected })
    }
  })
})
