import type { Queue } from 'bullmq'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createMaintenanceQueue, RETENTION_SWEEP } from '../../src/queue/maintenance-queue.js'
import { createUploadQueue, enqueueUpload, type ProcessUploadJob } from '../../src/queue/queues.js'
import { readFixture } from '../helpers/fixtures.js'
import { startPrivateRedis, type PrivateRedis } from '../helpers/private-redis.js'
import { createReliabilityBed, recordFigures, type ReliabilityBed } from '../helpers/reliability-bed.js'
import { serviceEnv, startServiceProcess, type ServiceProcess } from '../helpers/service-process.js'
import { waitFor } from '../helpers/test-service.js'
import { digestOf, largeSysmonUpload, uploadResults, type UploadResults } from '../helpers/upload-results.js'

// RELIABILITY.md, "Redis loses everything": a real worker process on a Redis of this file's own,
// which the test restarts without persistence and empties (FLUSHALL) while uploads are queued and
// running. The worker's reconciler finds the unfinished uploads in Postgres and enqueues them
// again; every upload ends with the rows of an undisturbed run, and a job re-enqueued while its
// first run still goes on writes nothing twice.

const BIG = largeSysmonUpload(300)
const SMALL = readFixture('logs/sysmon/ngrok-synthetic.xml')
const RECONCILE_MS = 500
const REPAIRED = 'reconciler re-enqueued unfinished work that Redis had no job for'
const EMPTY_MARKER = 'reliability-test:written-before-the-restart'

describe('Redis losing every key while uploads are queued and running', () => {
  let bed: ReliabilityBed
  let redis: PrivateRedis
  let queue: Queue<ProcessUploadJob>
  let worker: ServiceProcess
  const reference: { big?: UploadResults; small?: UploadResults } = {}
  let tenants = 0

  beforeAll(async () => {
    ;[bed, redis] = await Promise.all([createReliabilityBed(), startPrivateRedis()])
    queue = createUploadQueue(redis.url, bed.queuePrefix)
    const env = serviceEnv(bed.databaseUrl, bed.queuePrefix, { REDIS_URL: redis.url, WORKER_CONCURRENCY: '2', RECONCILE_INTERVAL_MS: String(RECONCILE_MS) })
    ;[reference.big, reference.small] = await Promise.all([bed.referenceRun(BIG), bed.referenceRun(SMALL)])
    // Only now: its reconciler would take the reference uploads, unfinished meanwhile, for work to do.
    worker = await startServiceProcess('worker', env)
  })
  afterAll(async () => {
    await worker?.kill()
    await queue?.close()
    await redis?.stop()
    await bed?.close()
  })

  /** Stores and enqueues `bytes` for a tenant of its own (events are stored once per tenant). */
  const submit = async (bytes: Buffer): Promise<string> => {
    const tenantId = await bed.newTenant(`disturbed-${++tenants}`)
    const uploadId = await bed.store(tenantId, bytes)
    await enqueueUpload(queue, bed.pool, { uploadId, tenantId })
    return uploadId
  }
  const expectReference = async (id: string, ref: UploadResults | undefined): Promise<void> => {
    const results = await uploadResults(bed.pool, id)
    expect(digestOf(results)).toEqual(digestOf(ref!))
    expect(results).toEqual(ref)
  }
  const jobLogs = (id: string) => worker.logs.filter((l) => l.uploadId === id && (l.msg === 'upload job started' || l.msg === 'upload job finished'))

  it('restart without persistence: the reconciler enqueues the running and the queued uploads again, and all end as an undisturbed run', async () => {
    // Two job slots: the large uploads run first (FIFO among tenants' first uploads), the small ones wait.
    const [big1, big2, small1, small2] = [await submit(BIG), await submit(BIG), await submit(SMALL), await submit(SMALL)]
    await bed.waitUntilLocked(big2)
    await bed.waitUntilStoringEvents(big1)
    const before = await Promise.all([big1, big2, small1, small2].map((id) => queue.getJobState(id)))
    expect(before).toContain('active')
    expect(before).toContain('prioritized')

    // A key nothing else writes shows that the new server started empty. The jobs' states cannot:
    // the worker's reconciler may re-enqueue the uploads before this file's own clients reconnect.
    const probe = new Redis(redis.url, { maxRetriesPerRequest: null })
    let restartedAt: number
    try {
      await probe.set(EMPTY_MARKER, '1')
      await redis.restart()
      restartedAt = Date.now()
      expect(await probe.exists(EMPTY_MARKER)).toBe(0)
    } finally {
      probe.disconnect()
    }

    const repaired = await waitFor(async () => worker.logs.find((l) => l.msg === REPAIRED && l.time >= restartedAt), 15_000, 'the reconciler to repair')
    for (const id of [big1, big2, small1, small2]) expect(await bed.waitUntilFinished(id)).toBe('SUCCEEDED_WITH_ERRORS')
    const allFinishedAt = Date.now()
    for (const id of [big1, big2]) await expectReference(id, reference.big)
    for (const id of [small1, small2]) await expectReference(id, reference.small)
    // The retention sweep's schedule, lost with everything else, is back too.
    const maintenance = createMaintenanceQueue(redis.url, bed.queuePrefix)
    try {
      expect(await waitFor(async () => maintenance.getJobScheduler(RETENTION_SWEEP), 5_000, 'the retention schedule')).toMatchObject({ key: RETENTION_SWEEP })
    } finally {
      await maintenance.close()
    }

    recordFigures('redis-restart', {
      reconcileIntervalMs: RECONCILE_MS,
      reEnqueuedAfterRestartMs: repaired.time - restartedAt,
      jobStatesBeforeRestart: before,
      reconcilerReport: repaired.work,
      allFinishedAfterRestartMs: allFinishedAt - restartedAt,
      big: digestOf(reference.big!),
      small: digestOf(reference.small!),
    })
  })

  it('FLUSHALL: the upload re-enqueued while its first run goes on waits for that run, then writes nothing twice', async () => {
    const big = await submit(BIG)
    await bed.waitUntilLocked(big)
    // A long first run, made certain: the test holds the upload's row, so the run's last statement
    // (its outcome) waits — with all its other writes done, uncommitted — until the second run has started.
    const holder = await bed.pool.connect()
    let flushedAt = 0
    try {
      await holder.query('BEGIN')
      await holder.query('SELECT 1 FROM uploads WHERE id = $1 FOR UPDATE', [big])
      await redis.flushAll()
      flushedAt = Date.now()
      await waitFor(async () => (jobLogs(big).length === 2 ? true : undefined), 15_000, 'the re-enqueued job to start')
    } finally {
      await holder.query('COMMIT')
      holder.release()
    }

    expect(await bed.waitUntilFinished(big)).toBe('SUCCEEDED_WITH_ERRORS')
    await expectReference(big, reference.big)
    // Two runs, the second started while the first went on (a free job slot): it waited on the
    // upload's advisory lock, then found the upload finished and wrote nothing.
    const runs = await waitFor(async () => (jobLogs(big).length === 4 ? jobLogs(big) : undefined), 10_000, 'both runs to finish')
    expect(runs.map((l) => l.msg)).toEqual(['upload job started', 'upload job started', 'upload job finished', 'upload job finished'])
    // Which of the two answers is logged first is a matter of milliseconds.
    expect(runs.slice(2).map((l) => l.status).sort()).toEqual(['ALREADY_DONE', 'SUCCEEDED'])
    expect((await bed.upload(big)).attempts).toBe(2)

    recordFigures('redis-flushall', {
      reconcileIntervalMs: RECONCILE_MS,
      secondRunStartedAfterFlushMs: runs[1]!.time - flushedAt,
      digest: digestOf(reference.big!),
    })
  })
})
