import { Queue, UnrecoverableError, Worker } from 'bullmq'
import type pg from 'pg'
import { pino } from 'pino'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { createPool } from '../../src/db/pool.js'
import { createMaintenanceQueue, RETENTION_SWEEP, retentionSweepSchedule } from '../../src/queue/maintenance-queue.js'
import { addUploadJob, createUploadQueue, redisConnection, UPLOAD_QUEUE, type ProcessUploadJob } from '../../src/queue/queues.js'
import { reconcileOnce, startReconciler, type UnfinishedWork } from '../../src/queue/reconciler.js'
import { MAX_UPLOAD_RUNS } from '../../src/queue/unfinished-uploads.js'
import { unfinishedWork } from '../../src/queue/unfinished-work.js'
import { createTenant } from '../../src/store/tenants.js'
import { readFixture } from '../helpers/fixtures.js'
import { createReliabilityBed, type ReliabilityBed } from '../helpers/reliability-bed.js'
import { startTcpProxy } from '../helpers/tcp-proxy.js'
import { TEST_REDIS_URL } from '../helpers/test-env.js'
import { waitFor } from '../helpers/test-service.js'

// The reconciler (src/queue/reconciler.ts) against real Postgres and Redis: what Postgres calls
// unfinished gets a job when Redis has none, with the API's job id and options; live jobs are left
// alone; ended jobs of unfinished work run again; lost final failures are retried, then recorded.

const LOG = readFixture('logs/sysmon/ngrok-synthetic.xml')

describe('the reconciler', () => {
  let bed: ReliabilityBed
  /** The service's own kind of pool: the application role under row-level security. */
  let appPool: pg.Pool
  let queue: Queue<ProcessUploadJob>
  let work: UnfinishedWork<unknown>[]
  let tenants = 0

  beforeAll(async () => {
    bed = await createReliabilityBed()
    appPool = createPool(bed.databaseUrl, { appRole: 'watchpost_app' })
    queue = createUploadQueue(TEST_REDIS_URL, bed.queuePrefix)
    work = unfinishedWork(appPool, { uploads: queue })
  })
  afterEach(async () => {
    await queue.obliterate({ force: true })
    await bed.pool.query('DELETE FROM uploads')
  })
  afterAll(async () => {
    await queue?.close()
    await appPool?.end()
    await bed?.close()
  })

  const tenant = async (): Promise<string> => (await createTenant(bed.prisma, `reconciled-${++tenants}`)).tenant.id
  const upload = async (tenantId: string, status = 'QUEUED', attempts = 0): Promise<string> => {
    const id = await bed.store(tenantId, LOG)
    await bed.pool.query('UPDATE uploads SET status = $2, attempts = $3 WHERE id = $1', [id, status, attempts])
    return id
  }
  /** Takes the job as a worker would and ends it: completed, or failed for good. */
  const endJob = async (outcome: 'completed' | 'failed'): Promise<void> => {
    const worker = new Worker<ProcessUploadJob>(UPLOAD_QUEUE, null, { connection: redisConnection(TEST_REDIS_URL), prefix: bed.queuePrefix })
    try {
      const job = (await worker.getNextJob('test-token'))!
      if (outcome === 'completed') await job.moveToCompleted('done', 'test-token', false)
      else await job.moveToFailed(new UnrecoverableError('boom'), 'test-token', false)
    } finally {
      await worker.close()
    }
  }

  it('enqueues every unfinished upload Redis has no job for, with the upload id as job id, ranked by age within its tenant; a second pass changes nothing', async () => {
    const [a, b] = [await tenant(), await tenant()]
    const done = await upload(a, 'SUCCEEDED')
    const a1 = await upload(a)
    const a2 = await upload(a, 'RUNNING', 1)
    const b1 = await upload(b)

    expect((await reconcileOnce(work, [])).work).toEqual([{ kind: 'upload', unfinished: 3, enqueued: 3, rerun: 0, failuresRecorded: 0 }])
    const jobs = await Promise.all([a1, a2, b1].map((id) => queue.getJob(id)))
    expect(jobs.map((j) => [j?.id, j?.data, j?.priority, j?.opts.attempts])).toEqual([
      [a1, { uploadId: a1, tenantId: a }, 1, 5],
      [a2, { uploadId: a2, tenantId: a }, 2, 5],
      [b1, { uploadId: b1, tenantId: b }, 1, 5],
    ])
    expect(await queue.getJob(done)).toBeUndefined()

    expect((await reconcileOnce(work, [])).work).toEqual([{ kind: 'upload', unfinished: 3, enqueued: 0, rerun: 0, failuresRecorded: 0 }])
    expect(await queue.getJobCounts('prioritized')).toEqual({ prioritized: 3 })
  })

  it('runs again an upload whose job completed while Postgres still calls it unfinished', async () => {
    const id = await upload(await tenant())
    await addUploadJob(queue, { uploadId: id, tenantId: (await bed.pool.query('SELECT tenant_id FROM uploads WHERE id = $1', [id])).rows[0].tenant_id }, 1)
    await endJob('completed')
    expect(await queue.getJobState(id)).toBe('completed')

    expect((await reconcileOnce(work, [])).work[0]).toMatchObject({ unfinished: 1, enqueued: 0, rerun: 1 })
    expect(await queue.getJobState(id)).toBe('prioritized')
  })

  it(`retries an upload whose final failure never reached Postgres, and after ${MAX_UPLOAD_RUNS} runs records the failure instead`, async () => {
    const t = await tenant()
    const retried = await upload(t, 'RUNNING', 2)
    const exhausted = await upload(t, 'RUNNING', MAX_UPLOAD_RUNS)
    for (const id of [retried, exhausted]) {
      await addUploadJob(queue, { uploadId: id, tenantId: t }, 1)
      await endJob('failed')
    }
    expect(await queue.getJobState(retried)).toBe('failed')

    expect((await reconcileOnce(work, [])).work[0]).toMatchObject({ unfinished: 2, enqueued: 0, rerun: 1, failuresRecorded: 1 })
    expect(await queue.getJobState(retried)).toBe('prioritized')
    expect(await queue.getJobState(exhausted)).toBe('failed')
    expect(await bed.upload(exhausted)).toMatchObject({ status: 'FAILED', failureReason: `gave up after ${MAX_UPLOAD_RUNS} runs; last error: boom` })
    expect((await bed.upload(retried)).status).toBe('RUNNING')
  })

  it("restores the retention sweep's job scheduler when Redis has lost it, and leaves it alone otherwise", async () => {
    const maintenance = createMaintenanceQueue(TEST_REDIS_URL, bed.queuePrefix)
    try {
      const recurring = [retentionSweepSchedule(maintenance, 5_000)]
      expect((await reconcileOnce([], recurring)).schedulesRestored).toEqual([RETENTION_SWEEP])
      expect(await maintenance.getJobScheduler(RETENTION_SWEEP)).toMatchObject({ every: 5_000 })
      expect((await reconcileOnce([], recurring)).schedulesRestored).toEqual([])
    } finally {
      await maintenance.obliterate({ force: true })
      await maintenance.close()
    }
  })

  it('reconciles another kind of work registered beside uploads, on its own queue, in the same pass', async () => {
    const id = await upload(await tenant())
    const scans = new Queue('scans-under-test', { connection: redisConnection(TEST_REDIS_URL), prefix: bed.queuePrefix })
    const unfinishedScans = ['scan-1', 'scan-2']
    const scanWork: UnfinishedWork<string> = {
      kind: 'scan',
      queue: scans,
      listUnfinished: async () => unfinishedScans,
      jobId: (scan) => scan,
      enqueue: async (scan) => void (await scans.add('run-scan', { scan }, { jobId: scan })),
      retryAfterLostFailure: async () => true,
    }
    try {
      const { work: reports } = await reconcileOnce([...work, scanWork], [])
      expect(reports).toEqual([
        { kind: 'upload', unfinished: 1, enqueued: 1, rerun: 0, failuresRecorded: 0 },
        { kind: 'scan', unfinished: 2, enqueued: 2, rerun: 0, failuresRecorded: 0 },
      ])
      expect(await queue.getJobState(id)).toBe('prioritized')
      expect(await Promise.all(unfinishedScans.map((s) => scans.getJobState(s)))).toEqual(['waiting', 'waiting'])
    } finally {
      await scans.obliterate({ force: true })
      await scans.close()
    }
  })

  it('runs at start and periodically; a pass that cannot reach Postgres is logged, and the next one repairs', async () => {
    const id = await upload(await tenant())
    const proxy = await startTcpProxy({ host: new URL(bed.databaseUrl).hostname, port: Number(new URL(bed.databaseUrl).port || 5432) })
    await proxy.cut()
    const throughProxy = createPool(proxy.via(bed.databaseUrl), { appRole: 'watchpost_app' })
    const logs: { msg: string; level: number }[] = []
    const log = pino({ level: 'debug' }, { write: (line: string) => void logs.push(JSON.parse(line) as { msg: string; level: number }) })
    const reconciler = startReconciler({ work: unfinishedWork(throughProxy, { uploads: queue }), recurring: [], intervalMs: 100, log })
    try {
      await waitFor(async () => (logs.filter((l) => l.msg.startsWith('reconciler pass failed')).length >= 2 ? true : undefined), 10_000, 'two failed passes')
      expect(await queue.getJobState(id)).toBe('unknown')
      await proxy.restore()
      await waitFor(async () => ((await queue.getJobState(id)) === 'prioritized' ? true : undefined), 10_000, 'a pass to enqueue the upload')
      expect(logs.some((l) => l.level === 40 && l.msg.startsWith('reconciler re-enqueued'))).toBe(true)
    } finally {
      await reconciler.close()
      await throughProxy.end()
      await proxy.close()
    }
  })
})
