import { Readable } from 'node:stream'
import { UnrecoverableError } from 'bullmq'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { processUpload } from '../../jobs/process-upload.js'
import { createPrisma, type PrismaClient } from '../../src/db/prisma.js'
import { detectFormat } from '../../src/ingest/index.js'
import { purgeExpired } from '../../src/store/retention.js'
import { importRules } from '../../src/store/rules.js'
import { setRetentionDays } from '../../src/store/tenant-retention.js'
import { createTenant } from '../../src/store/tenants.js'
import { receiveUpload } from '../../src/store/uploads.js'
import { distinctCopies, readFixture, SEED_RULE_YAML } from '../helpers/fixtures.js'
import { createTestDatabase } from '../helpers/test-database.js'

// The retention sweep against real Postgres, at an explicit `now`. The fixture's events happen on
// 2026-03-16; with a 30-day period and now = 2026-04-20, the cutoff is 2026-03-21T00:00Z.

const LOG = readFixture('logs/sysmon/ngrok-synthetic.xml')
const NOW = new Date('2026-04-20T00:00:00.000Z')
const CUTOFF = new Date('2026-03-21T00:00:00.000Z')

describe('purgeExpired', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>
  let pool: pg.Pool
  let prisma: PrismaClient
  /** Tenant with a 30-day period: an old upload, a recent one, and an old one still queued. */
  const kept = { tenant: '', old: '', recent: '', queued: '' }
  /** Tenant without a period, with the same old upload. */
  const forever = { tenant: '', old: '' }

  const tenantWithRule = async (name: string): Promise<string> => {
    const id = (await createTenant(prisma, name)).tenant.id
    expect((await importRules(prisma, id, SEED_RULE_YAML)).errors).toEqual([])
    return id
  }
  /** Stores an upload "received" at `receivedAt`, processed unless `queued`. */
  let uploads = 0
  const upload = async (tenantId: string, receivedAt: string, opts: { queued?: boolean } = {}): Promise<string> => {
    // Distinct events per upload: the same event uploaded twice is stored once.
    const log = distinctCopies(LOG, 1, uploads++)
    const { id } = await receiveUpload(pool, { tenantId, fileName: 'x.xml', formatOverride: null, detectFormat, maxBytes: 1e9 }, Readable.from([log]))
    if (!opts.queued) expect((await processUpload({ pool, prisma }, id, tenantId)).status).toBe('SUCCEEDED')
    await pool.query('UPDATE uploads SET created_at = $2 WHERE id = $1', [id, receivedAt])
    return id
  }
  const count = async (sql: string, params: unknown[]): Promise<number> => (await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${sql}`, params)).rows[0]!.n
  const detectionTotals = async (tenantId: string) =>
    (await pool.query('SELECT id, count::int, first_time, last_time FROM detections WHERE tenant_id = $1 ORDER BY id', [tenantId])).rows

  beforeAll(async () => {
    db = await createTestDatabase()
    pool = new pg.Pool({ connectionString: db.url, max: 4 })
    prisma = createPrisma(pool)
    kept.tenant = await tenantWithRule('keeps-30-days')
    await setRetentionDays(prisma, kept.tenant, 30)
    kept.old = await upload(kept.tenant, '2026-03-01T00:00:00Z')
    kept.recent = await upload(kept.tenant, '2026-04-10T00:00:00Z')
    kept.queued = await upload(kept.tenant, '2026-03-01T00:00:00Z', { queued: true })
    // The recent upload's events happen after the cutoff; one of them exactly at it (kept: only older is purged).
    for (const table of ['process_events', 'risk_events']) {
      await pool.query(`UPDATE ${table} SET time = time + interval '30 days' WHERE upload_id = $1`, [kept.recent])
    }
    await pool.query('UPDATE process_events SET time = $2 WHERE id = (SELECT min(id) FROM process_events WHERE upload_id = $1)', [kept.recent, CUTOFF])
    forever.tenant = await tenantWithRule('keeps-forever')
    forever.old = await upload(forever.tenant, '2026-03-01T00:00:00Z')
  })
  afterAll(async () => {
    await prisma?.$disconnect()
    await pool?.end()
    await db?.drop()
  })

  it('purges old events, risk events and raw bytes of the tenant with a period, in bounded batches, and keeps detections', async () => {
    const detectionsBefore = await detectionTotals(kept.tenant)
    expect(detectionsBefore).toHaveLength(4)
    const contributionsBefore = await count('detection_contributions WHERE tenant_id = $1', [kept.tenant])
    expect(await count('process_events WHERE upload_id = $1', [kept.old])).toBe(36)
    expect(await count('risk_events WHERE upload_id = $1', [kept.old])).toBe(8)

    // Every write statement of the sweep, with the rows it touched.
    const writes: { sql: string; rows: number }[] = []
    const recording = new Proxy(pool, {
      get(target, prop) {
        if (prop !== 'query') return Reflect.get(target, prop)
        return async (sql: string, params: unknown[]) => {
          const result = await target.query(sql, params)
          if (/^\s*(DELETE|UPDATE)/.test(sql)) writes.push({ sql, rows: result.rowCount ?? 0 })
          return result
        }
      },
    }) as pg.Pool

    const purged = await purgeExpired(recording, NOW, { eventBatch: 5, chunkBatch: 1 })

    expect(purged).toEqual([
      {
        tenantId: kept.tenant,
        tenantName: 'keeps-30-days',
        retentionDays: 30,
        cutoff: CUTOFF,
        processEvents: 36,
        riskEvents: 8,
        uploads: 1,
        uploadChunks: 1,
        rawBytes: distinctCopies(LOG, 1).length,
      },
    ])
    expect(writes.length).toBeGreaterThan(36 / 5)
    expect(Math.max(...writes.filter((w) => /upload_chunks/.test(w.sql)).map((w) => w.rows))).toBe(1)
    expect(Math.max(...writes.map((w) => w.rows))).toBe(5)

    // The old upload: events, risk events and raw bytes gone; the row stays, stamped.
    expect(await count('process_events WHERE upload_id = $1', [kept.old])).toBe(0)
    expect(await count('risk_events WHERE upload_id = $1', [kept.old])).toBe(0)
    expect(await count('upload_chunks WHERE upload_id = $1', [kept.old])).toBe(0)
    const stamped = await pool.query('SELECT status, raw_purged_at FROM uploads WHERE id = $1', [kept.old])
    expect(stamped.rows).toEqual([{ status: 'SUCCEEDED_WITH_ERRORS', raw_purged_at: NOW }])
    // The recent upload keeps everything (including the event exactly at the cutoff).
    expect(await count('process_events WHERE upload_id = $1', [kept.recent])).toBe(36)
    expect(await count('process_events WHERE upload_id = $1 AND time = $2', [kept.recent, CUTOFF])).toBe(1)
    expect(await count('risk_events WHERE upload_id = $1', [kept.recent])).toBe(8)
    expect(await count('upload_chunks WHERE upload_id = $1', [kept.recent])).toBe(1)
    // An old upload still waiting for a worker keeps its bytes.
    expect(await count('upload_chunks WHERE upload_id = $1', [kept.queued])).toBe(1)
    expect(await count('uploads WHERE raw_purged_at IS NOT NULL AND id <> $1', [kept.old])).toBe(0)
    // Aggregated results stay as they were.
    expect(await detectionTotals(kept.tenant)).toEqual(detectionsBefore)
    expect(await count('detection_contributions WHERE tenant_id = $1', [kept.tenant])).toBe(contributionsBefore)
  })

  it('never touches a tenant without a period', async () => {
    expect(await count('process_events WHERE upload_id = $1', [forever.old])).toBe(36)
    expect(await count('risk_events WHERE upload_id = $1', [forever.old])).toBe(8)
    expect(await count('upload_chunks WHERE upload_id = $1', [forever.old])).toBe(1)
  })

  it('purges nothing more when run again at the same instant', async () => {
    const again = await purgeExpired(pool, NOW)
    expect(again.map(({ processEvents, riskEvents, uploads, uploadChunks }) => ({ processEvents, riskEvents, uploads, uploadChunks }))).toEqual([
      { processEvents: 0, riskEvents: 0, uploads: 0, uploadChunks: 0 },
    ])
  })

  it('refuses to process an upload whose raw bytes were purged, leaving its detections intact', async () => {
    const before = await detectionTotals(kept.tenant)
    await pool.query(`UPDATE uploads SET status = 'QUEUED' WHERE id = $1`, [kept.old])
    await expect(processUpload({ pool, prisma }, kept.old, kept.tenant)).rejects.toThrow(UnrecoverableError)
    await expect(processUpload({ pool, prisma }, kept.old, kept.tenant)).rejects.toThrow(/purged by the tenant's retention period/)
    expect(await detectionTotals(kept.tenant)).toEqual(before)
    expect(await count('detection_contributions WHERE upload_id = $1', [kept.old])).toBeGreaterThan(0)
  })

  it('purges everything older once the period is shortened, and nothing once it is lifted', async () => {
    await setRetentionDays(prisma, kept.tenant, 1)
    const [shorter] = await purgeExpired(pool, NOW)
    expect(shorter).toMatchObject({ cutoff: new Date('2026-04-19T00:00:00.000Z'), processEvents: 36, riskEvents: 8, uploads: 1, uploadChunks: 1 })
    // The queued upload is still not stamped: it has not been processed yet.
    expect(await count('upload_chunks WHERE upload_id = $1', [kept.queued])).toBe(1)
    await setRetentionDays(prisma, kept.tenant, null)
    expect(await purgeExpired(pool, new Date('2030-01-01T00:00:00Z'))).toEqual([])
  })
})
