import fc from 'fast-check'
import type pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { withSystemScope, withTenantScope } from '../../src/db/db-scope.js'
import type { PrismaClient } from '../../src/db/prisma.js'
import { withTransaction } from '../../src/db/transaction.js'
import { clearUploadResults, replaceRuleContributions, writeContributions, type DetectionContributionInput } from '../../src/store/detection-writer.js'
import { purgeExpired } from '../../src/store/retention.js'
import { compactRiskObjectTotals } from '../../src/store/risk-object-totals.js'
import { aggregateRiskEvents, queryRiskObjects, type RiskObjectQuery } from '../../src/store/risk-query.js'
import { setRetentionDays } from '../../src/store/tenant-retention.js'
import { createTenant, deleteTenant } from '../../src/store/tenants.js'
import { deleteUpload } from '../../src/store/uploads.js'
import { FUZZ_TEST_TIMEOUT_MS, fuzzOptions } from '../helpers/fuzz.js'
import { openScopedTestDatabase, type ScopedTestDatabase } from '../helpers/scoped-database.js'

// riskObjects without a time window or rule reads the totals kept by triggers on risk_events
// (migration 20261203000000_risk_object_totals); it must answer exactly what aggregating the risk
// events answers, after any sequence of the service's writes: uploads written, re-written and
// deleted, a rule's contributions replaced by a scan, detections and rules deleted, retention
// purges, rolled-back transactions, concurrent writers and compaction. Everything runs as the
// application role under row-level security, through the store functions the service uses.

const RULES = ['11111111-1111-4111-8111-111111111111', '22222222-2222-4222-8222-222222222222', '33333333-3333-4333-8333-333333333333']
const UPLOADS = 3
const OBJECTS = [
  { type: 'user', object: 'alice' },
  { type: 'user', object: 'Alice' },
  { type: 'user', object: 'bob' },
  { type: 'system', object: 'ws-1' },
  { type: 'system', object: 'WS-1' },
  { type: 'other', object: 'alice' },
]
const TECHNIQUES = ['T1059.001', 'T1105', 'T1572', 'T1003']
const T0 = Date.parse('2026-03-01T00:00:00Z')
const HOUR = 3_600_000
const DAY = 24 * HOUR

type Row = { rule: number; group: number; hour: number | null; score: number; objects: number[]; techniques: number[] }
type Op =
  | { kind: 'write'; upload: number; rows: Row[] }
  | { kind: 'rewrite'; upload: number; rows: Row[] }
  | { kind: 'replaceRule'; upload: number; rule: number; rows: Row[] }
  | { kind: 'deleteUpload'; upload: number }
  | { kind: 'deleteRule'; rule: number }
  | { kind: 'deleteDetection'; pick: number }
  | { kind: 'purge'; cutoffDay: number }
  | { kind: 'rolledBack'; upload: number; rows: Row[] }
  | { kind: 'compact' }

const row: fc.Arbitrary<Row> = fc.record({
  rule: fc.nat(RULES.length - 1),
  group: fc.nat(4),
  hour: fc.option(fc.nat(400), { freq: 8 }),
  score: fc.integer({ min: 1, max: 100 }),
  objects: fc.uniqueArray(fc.nat(OBJECTS.length - 1), { minLength: 1, maxLength: 3 }),
  techniques: fc.uniqueArray(fc.nat(TECHNIQUES.length - 1), { maxLength: 3 }),
})
const rows = fc.array(row, { minLength: 1, maxLength: 6 })
const upload = fc.nat(UPLOADS - 1)
const op: fc.Arbitrary<Op> = fc.oneof(
  { arbitrary: fc.record({ kind: fc.constant('write' as const), upload, rows }), weight: 4 },
  fc.record({ kind: fc.constant('rewrite' as const), upload, rows }),
  fc.record({ kind: fc.constant('replaceRule' as const), upload, rule: fc.nat(RULES.length - 1), rows }),
  fc.record({ kind: fc.constant('deleteUpload' as const), upload }),
  fc.record({ kind: fc.constant('deleteRule' as const), rule: fc.nat(RULES.length - 1) }),
  fc.record({ kind: fc.constant('deleteDetection' as const), pick: fc.nat(20) }),
  fc.record({ kind: fc.constant('purge' as const), cutoffDay: fc.nat(17) }),
  fc.record({ kind: fc.constant('rolledBack' as const), upload, rows }),
  fc.constant({ kind: 'compact' as const }),
)

/** The contributions of `rows`, one per (rule, group) as one upload's grouped rows are. */
function contributions(rows: Row[], onlyRule?: number): DetectionContributionInput[] {
  const byGroup = new Map<string, DetectionContributionInput>()
  for (const r of rows) {
    const rule = onlyRule ?? r.rule
    const time = r.hour === null ? null : T0 + r.hour * HOUR
    byGroup.set(`${rule}|${r.group}`, {
      ruleId: RULES[rule]!,
      ruleRevision: 1,
      groupKey: `g${r.group}`,
      fields: { group: String(r.group) },
      count: 1,
      firstTime: time,
      lastTime: time,
      risk: r.objects.map((i) => ({ ...OBJECTS[i]!, score: r.score, message: 'm' })),
      threatObjects: [],
      mitreTechniques: r.techniques.map((i) => TECHNIQUES[i]!),
    })
  }
  return [...byGroup.values()]
}

/** The queries the totals answer: every filter but time and rule. */
const queriesOf = (tenantId: string): RiskObjectQuery[] => [
  { tenantId, first: 1000 },
  { tenantId, first: 3 },
  { tenantId, first: 0 },
  { tenantId, type: 'user', first: 1000 },
  { tenantId, object: 'ALICE', first: 1000 },
  { tenantId, type: 'system', object: 'ws-1', first: 1 },
  { tenantId, type: 'nothing', first: 10 },
]

describe('risk object totals kept by Postgres', () => {
  let scoped: ScopedTestDatabase
  let ownerPool: pg.Pool
  let appPool: pg.Pool
  let prisma: PrismaClient

  beforeAll(async () => {
    scoped = await openScopedTestDatabase({ appConnections: 6 })
    ;({ ownerPool, appPool, prisma } = scoped)
  })
  afterAll(async () => {
    await scoped?.close()
  })

  let tenants = 0
  /** A tenant with UPLOADS uploads, named by their index. */
  async function newTenant(): Promise<{ id: string; uploads: string[] }> {
    const id = (await createTenant(prisma, `totals-${++tenants}`)).tenant.id
    const uploads = await withTenantScope(id, async () => {
      const { rows } = await appPool.query<{ id: string }>(
        "INSERT INTO uploads (tenant_id, file_name, status) SELECT $1, 'u' || i, 'SUCCEEDED' FROM generate_series(1, $2) AS i RETURNING id",
        [id, UPLOADS],
      )
      return rows.map((r) => r.id)
    })
    return { id, uploads }
  }

  /** Deleted uploads come back (same id, no results), so later operations can use them again. */
  async function restoreUploads(tenant: { id: string; uploads: string[] }): Promise<void> {
    await appPool.query(
      "INSERT INTO uploads (id, tenant_id, file_name, status) SELECT u, $1, 'u', 'SUCCEEDED' FROM unnest($2::uuid[]) AS u ON CONFLICT (id) DO NOTHING",
      [tenant.id, tenant.uploads],
    )
  }

  async function apply(tenant: { id: string; uploads: string[] }, o: Op): Promise<void> {
    const tenantId = tenant.id
    switch (o.kind) {
      case 'write':
        await withTransaction(appPool, (c) => writeContributions(c, tenantId, tenant.uploads[o.upload]!, contributions(o.rows)))
        return
      case 'rewrite':
        // As the upload job re-processes an upload: its results cleared, then written, in one transaction.
        await withTransaction(appPool, async (c) => {
          await clearUploadResults(c, tenant.uploads[o.upload]!)
          await writeContributions(c, tenantId, tenant.uploads[o.upload]!, contributions(o.rows))
        })
        return
      case 'replaceRule':
        await withTransaction(appPool, (c) => replaceRuleContributions(c, tenantId, tenant.uploads[o.upload]!, RULES[o.rule]!, contributions(o.rows, o.rule), {}))
        return
      case 'deleteUpload':
        await deleteUpload(appPool, tenantId, tenant.uploads[o.upload]!)
        await restoreUploads(tenant)
        return
      case 'deleteRule':
        // The statements of deleteRule (store/rules.ts), for a rule id with no rule row.
        await withTransaction(appPool, async (c) => {
          await c.query('DELETE FROM risk_events WHERE tenant_id = $1 AND rule_id = $2', [tenantId, RULES[o.rule]])
          await c.query('DELETE FROM detection_contributions WHERE detection_id IN (SELECT id FROM detections WHERE tenant_id = $1 AND rule_id = $2)', [tenantId, RULES[o.rule]])
          await c.query('DELETE FROM detections WHERE tenant_id = $1 AND rule_id = $2', [tenantId, RULES[o.rule]])
        })
        return
      case 'deleteDetection':
        await withTransaction(appPool, async (c) => {
          const { rows: picked } = await c.query<{ id: string }>('SELECT id FROM detections WHERE tenant_id = $1 ORDER BY id OFFSET $2 LIMIT 1', [tenantId, o.pick])
          if (picked.length === 0) return
          await c.query('DELETE FROM risk_events WHERE detection_id = $1', [picked[0]!.id])
          await c.query('DELETE FROM detection_contributions WHERE detection_id = $1', [picked[0]!.id])
          await c.query('DELETE FROM detections WHERE id = $1', [picked[0]!.id])
        })
        return
      case 'purge':
        // Retention of 30 days, swept so that the cutoff falls `cutoffDay` days into the events.
        await withSystemScope(() => purgeExpired(appPool, new Date(T0 + (30 + o.cutoffDay) * DAY), { eventBatch: 3 }))
        return
      case 'rolledBack':
        await expect(
          withTransaction(appPool, async (c) => {
            await clearUploadResults(c, tenant.uploads[o.upload]!)
            await writeContributions(c, tenantId, tenant.uploads[o.upload]!, contributions(o.rows))
            throw new Error('rolled back on purpose')
          }),
        ).rejects.toThrow('rolled back on purpose')
        return
      case 'compact':
        await compactRiskObjectTotals(appPool, tenantId)
        return
    }
  }

  /** Both paths, as the tenant: the totals (no time or rule filter) and aggregating the risk events. */
  async function expectTotalsEqualEvents(tenantId: string): Promise<void> {
    await withTenantScope(tenantId, async () => {
      for (const q of queriesOf(tenantId)) {
        const [fromTotals, fromEvents] = await Promise.all([queryRiskObjects(appPool, q), aggregateRiskEvents(appPool, q)])
        expect(fromTotals, JSON.stringify(q)).toEqual(fromEvents)
      }
    })
  }

  const storedRows = async (tenantId: string): Promise<number> =>
    (await ownerPool.query<{ n: number }>('SELECT count(*)::int AS n FROM risk_object_totals WHERE tenant_id = $1', [tenantId])).rows[0]!.n

  it(
    'answers exactly what aggregating the risk events answers, after any sequence of writes',
    async () => {
      const other = await newTenant()
      // Another tenant with the same objects: its totals must never show in the first one's.
      await withTenantScope(other.id, () => apply(other, { kind: 'write', upload: 0, rows: [{ rule: 0, group: 0, hour: 1, score: 1000, objects: [0, 1, 2, 3], techniques: [3] }] }))
      const otherBefore = await withTenantScope(other.id, () => queryRiskObjects(appPool, { tenantId: other.id, first: 1000 }))
      expect(otherBefore).toHaveLength(4)
      await fc.assert(
        fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 12 }), async (ops) => {
          const tenant = await newTenant()
          await setRetentionDays(prisma, tenant.id, 30)
          for (const o of ops) await withTenantScope(tenant.id, () => apply(tenant, o))
          await expectTotalsEqualEvents(tenant.id)
        }),
        fuzzOptions(40),
      )
      await expectTotalsEqualEvents(other.id)
      expect(await withTenantScope(other.id, () => queryRiskObjects(appPool, { tenantId: other.id, first: 1000 }))).toEqual(otherBefore)
    },
    FUZZ_TEST_TIMEOUT_MS,
  )

  it('drops an object whose every risk event is deleted, leaving no row of it', async () => {
    const tenant = await newTenant()
    await withTenantScope(tenant.id, async () => {
      await apply(tenant, { kind: 'write', upload: 0, rows: [{ rule: 0, group: 0, hour: 5, score: 10, objects: [0, 2], techniques: [0] }] })
      await apply(tenant, { kind: 'write', upload: 1, rows: [{ rule: 1, group: 0, hour: 6, score: 20, objects: [2], techniques: [] }] })
      expect((await queryRiskObjects(appPool, { tenantId: tenant.id, first: 10 })).map((r) => r.object)).toEqual(['bob', 'alice'])
      await apply(tenant, { kind: 'deleteUpload', upload: 0 })
      expect(await queryRiskObjects(appPool, { tenantId: tenant.id, first: 10 })).toEqual([
        expect.objectContaining({ object: 'bob', totalScore: 20, riskEventCount: 1, ruleIds: [RULES[1]], techniqueIds: [] }),
      ])
    })
    const { rows } = await ownerPool.query('SELECT risk_object FROM risk_object_totals WHERE tenant_id = $1', [tenant.id])
    expect(rows).toEqual([{ risk_object: 'bob' }])
    // Nothing is left waiting for a commit that already happened.
    expect((await ownerPool.query('SELECT count(*)::int AS n FROM risk_object_recomputes')).rows).toEqual([{ n: 0 }])
  })

  it('stays exact with concurrent writers of one tenant, including recomputes waiting for the tenant lock', async () => {
    const tenant = await newTenant()
    const t = tenant.id
    const write = (rule: number, score: number, hour: number, group = 0): DetectionContributionInput[] =>
      contributions([{ rule, group, hour, score, objects: [0, 2, 3], techniques: [rule % TECHNIQUES.length] }])
    await withTenantScope(t, async () => {
      for (let u = 0; u < UPLOADS; u++) await withTransaction(appPool, (c) => writeContributions(c, t, tenant.uploads[u]!, write(u, 10 + u, 10 + u)))
      const held = await appPool.connect()
      const deleter1 = await appPool.connect()
      const deleter2 = await appPool.connect()
      let open: pg.PoolClient | undefined
      try {
        // The tenant lock held, as by a recompute in progress: both deleters' COMMITs wait for it.
        await held.query('BEGIN')
        await held.query('SELECT pg_advisory_xact_lock(risk_object_totals_lock($1))', [t])
        await deleter1.query('BEGIN')
        await clearUploadResults(deleter1, tenant.uploads[0]!)
        await deleter2.query('BEGIN')
        await clearUploadResults(deleter2, tenant.uploads[1]!)
        await writeContributions(deleter2, t, tenant.uploads[1]!, write(1, 50, 90))
        const commits = Promise.all([deleter1.query('COMMIT'), deleter2.query('COMMIT')])
        // While they wait: an insert of the same objects commits (its row must count once), and an
        // uncommitted one stays open across their recomputes. New detections: inserts only (an
        // upsert that updates risk events recomputes at COMMIT, so would wait for the lock too), of
        // detections the deleters have not locked.
        await withTransaction(appPool, (c) => writeContributions(c, t, tenant.uploads[2]!, write(2, 7, 200, 2)))
        open = await appPool.connect()
        await open.query('BEGIN')
        await writeContributions(open, t, tenant.uploads[0]!, write(2, 3, 300, 1))
        expect(await compactRiskObjectTotals(appPool, t)).toBe(false)
        await held.query('COMMIT')
        await commits
        await expectTotalsEqualEvents(t)
        await open.query('COMMIT')
        await expectTotalsEqualEvents(t)
      } finally {
        // Discarded rather than returned: a failed step may leave a transaction open on them.
        for (const c of [held, deleter1, deleter2, open]) c?.release(true)
      }
      // Many transactions at once, each a random operation, then the same answer as the events.
      const ops = fc.sample(op.filter((o) => o.kind !== 'deleteUpload' && o.kind !== 'purge'), { numRuns: 24, seed: 7 })
      await Promise.all([0, 1, 2, 3].map(async (lane) => {
        for (let i = lane; i < ops.length; i += 4) await apply(tenant, ops[i]!).catch((err: Error) => expect(err.message).toMatch(/deadlock detected/))
      }))
      await expectTotalsEqualEvents(t)
    })
  })

  it('compaction keeps every answer and leaves one row per object; reads start it when rows pile up', async () => {
    const tenant = await newTenant()
    const t = tenant.id
    await withTenantScope(t, async () => {
      for (let i = 0; i < 40; i++) {
        await apply(tenant, { kind: 'write', upload: i % UPLOADS, rows: [{ rule: i % 3, group: i, hour: i, score: i + 1, objects: [i % OBJECTS.length], techniques: [i % 4] }] })
      }
    })
    expect(await storedRows(t)).toBe(40)
    await expectTotalsEqualEvents(t)
    expect(await withTenantScope(t, () => compactRiskObjectTotals(appPool, t))).toBe(true)
    expect(await storedRows(t)).toBe(OBJECTS.length)
    await expectTotalsEqualEvents(t)
    // 80 more rows over 6 objects: above 2 rows per object + 64, so the next read compacts.
    await withTenantScope(t, async () => {
      for (let i = 40; i < 120; i++) {
        await apply(tenant, { kind: 'write', upload: i % UPLOADS, rows: [{ rule: i % 3, group: i, hour: i, score: i + 1, objects: [i % OBJECTS.length], techniques: [] }] })
      }
    })
    expect(await storedRows(t)).toBe(OBJECTS.length + 80)
    const before = await withTenantScope(t, () => queryRiskObjects(appPool, { tenantId: t, first: 100 }))
    for (let i = 0; i < 50 && (await storedRows(t)) > OBJECTS.length; i++) await new Promise((r) => setTimeout(r, 100))
    expect(await storedRows(t)).toBe(OBJECTS.length)
    expect(await withTenantScope(t, () => queryRiskObjects(appPool, { tenantId: t, first: 100 }))).toEqual(before)
    await expectTotalsEqualEvents(t)
  })

  it('shows a tenant only its own rows, and deleting a tenant leaves none of its rows', async () => {
    const a = await newTenant()
    const b = await newTenant()
    for (const tenant of [a, b]) {
      await withTenantScope(tenant.id, () => apply(tenant, { kind: 'write', upload: 0, rows: [{ rule: 0, group: 0, hour: 1, score: 5, objects: [0, 3], techniques: [1] }] }))
    }
    const seen = await withTenantScope(a.id, () => appPool.query<{ tenant_id: string }>('SELECT DISTINCT tenant_id FROM risk_object_totals'))
    expect(seen.rows).toEqual([{ tenant_id: a.id }])
    // Without a scope, no rows at all; asking for another tenant's objects by id finds none.
    expect((await appPool.query('SELECT 1 FROM risk_object_totals')).rowCount).toBe(0)
    expect(await withTenantScope(a.id, () => queryRiskObjects(appPool, { tenantId: b.id, first: 10 }))).toEqual([])
    // Nor can a tenant write rows of another.
    await expect(
      withTenantScope(a.id, () =>
        appPool.query("INSERT INTO risk_object_totals (tenant_id, risk_object_type, risk_object, total_score, risk_event_count, rule_ids, mitre_techniques, first_seen, last_seen) VALUES ($1, 'user', 'x', 1, 1, '{}', '{}', now(), now())", [b.id]),
      ),
    ).rejects.toThrow(/row-level security/)
    await withSystemScope(() => deleteTenant(appPool, b.id))
    expect(await storedRows(b.id)).toBe(0)
    expect(await storedRows(a.id)).toBe(2)
  })
})
