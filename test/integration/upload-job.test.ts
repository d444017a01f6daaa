import { Readable } from 'node:stream'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { processUpload, UPLOAD_LOCK_CLASS } from '../../jobs/process-upload.js'
import { createPrisma, type PrismaClient } from '../../src/db/prisma.js'
import { detectFormat } from '../../src/ingest/index.js'
import { importRules } from '../../src/store/rules.js'
import { createTenant } from '../../src/store/tenants.js'
import { receiveUpload } from '../../src/store/uploads.js'
import { distinctCopies, readFixture, SEED_RULE_YAML } from '../helpers/fixtures.js'
import { createTestDatabase } from '../helpers/test-database.js'

// The upload job's guarantees, checked against real Postgres: one transaction per job, so a job
// that dies mid-way leaves nothing, a retry or a duplicate run never double-counts, and a second
// worker picking up the same upload waits and then does nothing.

const SYSMON = readFixture('logs/sysmon/ngrok-synthetic.xml')
/** Counts of rows A-D of the fixture README, in code-point order of their `process`. */
const COUNTS_BY_PROCESS = [1, 3, 2, 1]
const byProcess = (a: { process: string }, b: { process: string }): number => (a.process < b.process ? -1 : a.process > b.process ? 1 : 0)

describe('the upload job', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>
  let pool: pg.Pool
  let prisma: PrismaClient
  let tenantSeq = 0

  beforeAll(async () => {
    db = await createTestDatabase()
    pool = new pg.Pool({ connectionString: db.url, max: 8 })
    pool.on('error', () => {}) // the test kills a backend on purpose
    prisma = createPrisma(pool)
  })

  /** Each test gets a tenant of its own, with the seed rule. */
  const newTenant = async (): Promise<string> => {
    const id = (await createTenant(prisma, `jobs-${++tenantSeq}`)).tenant.id
    expect((await importRules(prisma, id, SEED_RULE_YAML)).errors).toEqual([])
    return id
  }
  afterAll(async () => {
    await prisma?.$disconnect()
    await pool?.end()
    await db?.drop()
  })

  const store = async (tenantId: string, bytes: Buffer): Promise<string> =>
    (await receiveUpload(pool, { tenantId, fileName: 'x.xml', formatOverride: null, detectFormat, maxBytes: 1e9 }, Readable.from([bytes]))).id

  const snapshot = async (uploadId: string) => {
    const q = async (sql: string) => (await pool.query(sql, [uploadId])).rows
    return {
      events: await q('SELECT count(*)::int AS n FROM process_events WHERE upload_id = $1'),
      detections: (await q(`SELECT d.fields->>'process' AS process, d.count::int AS count FROM detections d
                           JOIN detection_contributions c ON c.detection_id = d.id WHERE c.upload_id = $1`)).sort(byProcess),
      risk: (await q('SELECT risk_object, risk_object_type, risk_score FROM risk_events WHERE upload_id = $1')).sort(
        (a, b) => (a.risk_object + a.risk_object_type < b.risk_object + b.risk_object_type ? -1 : 1),
      ),
      upload: await q('SELECT status, event_count, process_events, error_count, detection_rows FROM uploads WHERE id = $1'),
    }
  }

  it('writes events, detections and risk events once, and a second run changes nothing', async () => {
    const tenantId = await newTenant()
    const id = await store(tenantId, SYSMON)
    const first = await processUpload({ pool, prisma }, id, tenantId)
    expect(first.status).toBe('SUCCEEDED')
    const after = await snapshot(id)
    expect(after.events).toEqual([{ n: 36 }])
    expect(after.detections.map((d) => d.count)).toEqual(COUNTS_BY_PROCESS)
    expect(after.risk).toHaveLength(8)
    expect((await processUpload({ pool, prisma }, id, tenantId)).status).toBe('ALREADY_DONE')
    expect(await snapshot(id)).toEqual(after)
    // A forced re-run (e.g. a re-parse after a parser fix) replaces the upload's results.
    await pool.query(`UPDATE uploads SET status = 'QUEUED' WHERE id = $1`, [id])
    expect((await processUpload({ pool, prisma }, id, tenantId)).status).toBe('SUCCEEDED')
    expect(await snapshot(id)).toEqual(after)
  })

  it('lets only one of two concurrent runs of the same upload do the work', async () => {
    const tenantId = await newTenant()
    const id = await store(tenantId, SYSMON)
    const results = await Promise.all([processUpload({ pool, prisma }, id, tenantId), processUpload({ pool, prisma }, id, tenantId)])
    expect(results.map((r) => r.status).sort()).toEqual(['ALREADY_DONE', 'SUCCEEDED'])
    const s = await snapshot(id)
    expect(s.events).toEqual([{ n: 36 }])
    expect(s.detections.map((d) => d.count)).toEqual(COUNTS_BY_PROCESS)
  })

  it('leaves nothing behind when its database session dies mid-job, and the retry is exact', async () => {
    const copies = 400
    const big = distinctCopies(SYSMON, copies)
    const tenantId = await newTenant()
    const id = await store(tenantId, big)
    // Settled at once into a value, so its failure (expected) is never an unhandled rejection.
    const job = processUpload({ pool, prisma, progressIntervalMs: 20 }, id, tenantId).then(
      () => null,
      (err: unknown) => err,
    )
    // Kill the backend that holds the upload's row lock once the job has started streaming.
    const observer = new pg.Client({ connectionString: db.url })
    await observer.connect()
    let killed = 0
    for (let i = 0; i < 200 && killed === 0; i++) {
      const { rows } = await observer.query<{ bytes: string }>('SELECT bytes_processed AS bytes FROM uploads WHERE id = $1', [id])
      if (Number(rows[0]!.bytes) > 0) {
        const r = await observer.query(
          `SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND classid = $1 AND granted`,
          [UPLOAD_LOCK_CLASS],
        )
        killed = r.rowCount ?? 0
      }
      await new Promise((res) => setTimeout(res, 10))
    }
    expect(killed).toBeGreaterThan(0)
    expect(await job).toBeInstanceOf(Error)
    const broken = await snapshot(id)
    expect(broken.events).toEqual([{ n: 0 }])
    expect(broken.detections).toEqual([])
    expect(broken.risk).toEqual([])
    expect(broken.upload[0].status).toBe('RUNNING')
    const retry = await processUpload({ pool, prisma }, id, tenantId)
    expect(retry.status).toBe('SUCCEEDED')
    const s = await snapshot(id)
    expect(s.events).toEqual([{ n: 36 * copies }])
    expect(s.detections.map((d) => d.count)).toEqual(COUNTS_BY_PROCESS.map((n) => n * copies))
    expect(s.upload).toEqual([{ status: 'SUCCEEDED_WITH_ERRORS', event_count: 39 * copies, process_events: 36 * copies, error_count: copies, detection_rows: 4 }])
    await observer.end()
  })
})
