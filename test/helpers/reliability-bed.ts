import { mkdirSync, writeFileSync } from 'node:fs'
import { randomBytes } from 'node:crypto'
import { Readable } from 'node:stream'
import pg from 'pg'
import { processUpload } from '../../jobs/process-upload.js'
import { createPrisma, type PrismaClient } from '../../src/db/prisma.js'
import { detectFormat } from '../../src/ingest/index.js'
import { enableBundledRules } from '../../src/services/bundled-content.js'
import { createTenant } from '../../src/store/tenants.js'
import { UPLOAD_LOCK_CLASS } from '../../src/store/upload-lock.js'
import { receiveUpload } from '../../src/store/uploads.js'
import { deleteQueueKeys } from './redis-keys.js'
import { createTestDatabase } from './test-database.js'
import { TEST_REDIS_URL } from './test-env.js'
import { waitFor } from './test-service.js'
import { uploadResults, type UploadResults } from './upload-results.js'

/**
 * The common ground of the reliability tests (test/integration/reliability-*.test.ts): a database
 * of the file's own, a queue prefix, tenants with every bundled rule, uploads stored as the API
 * stores them, and the reference an undisturbed run of the same bytes gives.
 */
export interface ReliabilityBed {
  databaseUrl: string
  /** A superuser pool: the test reads every tenant's rows. */
  pool: pg.Pool
  prisma: PrismaClient
  queuePrefix: string
  /** A tenant with every bundled rule enabled; its id. */
  newTenant(name: string): Promise<string>
  /** Stores `bytes` as an upload of the tenant (QUEUED, no job yet); its id. */
  store(tenantId: string, bytes: Buffer): Promise<string>
  /** The results of an undisturbed run of `bytes`, in this process, under a tenant of its own. */
  referenceRun(bytes: Buffer): Promise<UploadResults>
  upload(id: string): Promise<{ status: string; bytesProcessed: number; sizeBytes: number; attempts: number; failureReason: string | null }>
  /** Whether a job's open transaction holds the upload's advisory lock (jobs/process-upload.ts). */
  lockHeld(id: string): Promise<boolean>
  /** Waits until a job's transaction holds the upload's advisory lock: it is running. */
  waitUntilLocked(id: string, timeoutMs?: number): Promise<void>
  /**
   * Waits until the job's open transaction is storing the upload's events (its COPY has received
   * rows, or it moves them into process_events): the middle of the job, uncommitted writes in flight.
   */
  waitUntilStoringEvents(id: string, timeoutMs?: number): Promise<StoringEvents>
  /** Waits until the upload has an outcome (SUCCEEDED, SUCCEEDED_WITH_ERRORS or FAILED). */
  waitUntilFinished(id: string, timeoutMs?: number): Promise<string>
  close(): Promise<void>
}

/** What the job's session was doing when observed. */
export interface StoringEvents {
  /** The statement's first words. */
  statement: string
  /** Rows its COPY had received, when it was the COPY. */
  copiedRows: number | null
}

export async function createReliabilityBed(): Promise<ReliabilityBed> {
  const db = await createTestDatabase()
  const pool = new pg.Pool({ connectionString: db.url, max: 6 })
  pool.on('error', () => {})
  const prisma = createPrisma(pool)
  let references = 0
  const bed: ReliabilityBed = {
    databaseUrl: db.url,
    pool,
    prisma,
    queuePrefix: `wptest-${randomBytes(4).toString('hex')}`,
    async newTenant(name) {
      const id = (await createTenant(prisma, name)).tenant.id
      await enableBundledRules(prisma, id, null)
      return id
    },
    async store(tenantId, bytes) {
      const received = await receiveUpload(pool, { tenantId, fileName: 'large.xml', formatOverride: null, detectFormat, maxBytes: 1e10 }, Readable.from([bytes]))
      return received.id
    },
    async referenceRun(bytes) {
      const tenantId = await bed.newTenant(`reference-${++references}`)
      const id = await bed.store(tenantId, bytes)
      await processUpload({ pool, prisma }, id, tenantId)
      return uploadResults(pool, id)
    },
    async upload(id) {
      const { rows } = await pool.query<{ status: string; bytes_processed: string; size_bytes: string; attempts: number; failure_reason: string | null }>(
        'SELECT status, bytes_processed, size_bytes, attempts, failure_reason FROM uploads WHERE id = $1',
        [id],
      )
      const r = rows[0]
      if (!r) throw new Error(`upload ${id} does not exist`)
      return { status: r.status, bytesProcessed: Number(r.bytes_processed), sizeBytes: Number(r.size_bytes), attempts: r.attempts, failureReason: r.failure_reason }
    },
    async lockHeld(id) {
      const { rowCount } = await pool.query(`SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted AND classid = $1 AND objid = hashtext($2)::oid`, [UPLOAD_LOCK_CLASS, id])
      return (rowCount ?? 0) > 0
    },
    async waitUntilLocked(id, timeoutMs = 30_000) {
      await waitFor(async () => ((await bed.lockHeld(id)) ? true : undefined), timeoutMs, `a job to lock upload ${id}`)
    },
    async waitUntilStoringEvents(id, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs
      for (;;) {
        // The session holding the upload's advisory lock (jobs/process-upload.ts), once it has written.
        const { rows } = await pool.query<{ statement: string; copied_rows: string | null }>(
          `SELECT left(a.query, 40) AS statement, p.tuples_processed AS copied_rows
           FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid LEFT JOIN pg_stat_progress_copy p ON p.pid = a.pid
           WHERE l.locktype = 'advisory' AND l.granted AND l.classid = $1 AND l.objid = hashtext($2)::oid
             AND a.backend_xid IS NOT NULL AND (p.tuples_processed > 0 OR a.query LIKE 'INSERT INTO process_events %')`,
          [UPLOAD_LOCK_CLASS, id],
        )
        const r = rows[0]
        if (r) return { statement: r.statement, copiedRows: r.copied_rows === null ? null : Number(r.copied_rows) }
        if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for upload ${id} to be storing its events`)
        await new Promise((res) => setTimeout(res, 10))
      }
    },
    async waitUntilFinished(id, timeoutMs = 60_000) {
      return waitFor(
        async () => {
          const { status } = await bed.upload(id)
          return ['SUCCEEDED', 'SUCCEEDED_WITH_ERRORS', 'FAILED'].includes(status) ? status : undefined
        },
        timeoutMs,
        `upload ${id} to finish`,
      )
    },
    async close() {
      await prisma.$disconnect()
      await pool.end()
      await db.drop()
      // Its uploads' jobs, where a test ran them on the shared Redis (a private one is gone with its keys).
      await deleteQueueKeys(TEST_REDIS_URL, bed.queuePrefix)
    },
  }
  return bed
}

/**
 * Keeps a test's measurements in test/artifacts/reliability/<name>.json (not committed), the
 * figures RELIABILITY.md quotes from its last run.
 */
export function recordFigures(name: string, figures: Record<string, unknown>): void {
  const dir = new URL('../artifacts/reliability/', import.meta.url)
  mkdirSync(dir, { recursive: true })
  writeFileSync(new URL(`${name}.json`, dir), JSON.stringify({ recordedAt: new Date().toISOString(), ...figures }, null, 2) + '\n')
}
