import type { Queue } from 'bullmq'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createUploadQueue, enqueueUpload, type ProcessUploadJob } from '../../src/queue/queues.js'
import { createReliabilityBed, recordFigures, type ReliabilityBed } from '../helpers/reliability-bed.js'
import { serviceEnv, startServiceProcess, type LogLine, type ServiceProcess } from '../helpers/service-process.js'
import { TEST_REDIS_URL } from '../helpers/test-env.js'
import { waitFor } from '../helpers/test-service.js'
import { digestOf, largeSysmonUpload, uploadResults, type UploadResults } from '../helpers/upload-results.js'

// RELIABILITY.md, "Worker killed": two real worker processes; the one running a large upload is
// SIGKILLed mid-way. The other takes the job over once its lock runs out (BullMQ's stalled-job
// check) and the upload ends with exactly the rows an undisturbed run writes.

const COPIES = 400
/**
 * Short, so the takeover is quick; production keeps the 30 s default. Not shorter: parsing keeps
 * the worker's event loop busy for up to ~2 s at a time here, and a lock not renewed in time makes
 * BullMQ hand a running job to another worker (harmless, the advisory lock serializes them).
 */
const LOCK_MS = 5_000

describe('a worker killed (SIGKILL) in the middle of a large upload', () => {
  let bed: ReliabilityBed
  let queue: Queue<ProcessUploadJob>
  let bytes: Buffer
  let reference: UploadResults
  const workers: ServiceProcess[] = []

  beforeAll(async () => {
    bed = await createReliabilityBed()
    queue = createUploadQueue(TEST_REDIS_URL, bed.queuePrefix)
    bytes = largeSysmonUpload(COPIES)
    const env = serviceEnv(bed.databaseUrl, bed.queuePrefix, { WORKER_CONCURRENCY: '1', WORKER_LOCK_DURATION_MS: String(LOCK_MS), RECONCILE_INTERVAL_MS: '1000' })
    reference = await bed.referenceRun(bytes)
    // Only now: their reconciler would take the reference upload, unfinished meanwhile, for work to do.
    workers.push(...(await Promise.all([startServiceProcess('worker', env), startServiceProcess('worker', env)])))
  })
  afterAll(async () => {
    await Promise.all(workers.map((w) => w.kill()))
    await queue?.obliterate({ force: true }).catch(() => {})
    await queue?.close()
    await bed?.close()
  })

  it('is finished by another worker with the events, detections and risk events of an undisturbed run, byte for byte', async () => {
    const tenantId = await bed.newTenant('disturbed')
    const id = await bed.store(tenantId, bytes)
    await enqueueUpload(queue, bed.pool, { uploadId: id, tenantId })

    const atKill = await bed.waitUntilStoringEvents(id)
    const startedIn = (w: ServiceProcess): LogLine | undefined => w.logs.find((l) => l.msg === 'upload job started' && l.uploadId === id)
    // The worker that started first holds the upload's advisory lock: it is the one mid-way.
    const victim = await waitFor(async () => workers.filter(startedIn).sort((a, b) => startedIn(a)!.time - startedIn(b)!.time)[0], 5_000, 'the worker running the upload')
    const survivor = workers.find((w) => w !== victim)!
    victim.proc.kill('SIGKILL')
    const killedAt = Date.now()
    expect((await victim.exited).signal).toBe('SIGKILL')

    // The kill landed mid-job, and nothing of the killed run is visible.
    expect((await bed.upload(id)).status).toBe('RUNNING')
    expect((await bed.pool.query('SELECT count(*)::int AS n FROM process_events WHERE upload_id = $1', [id])).rows[0].n).toBe(0)

    expect(await bed.waitUntilFinished(id)).toBe('SUCCEEDED_WITH_ERRORS')
    const finishedAt = Date.now()
    const results = await uploadResults(bed.pool, id)
    expect(digestOf(results)).toEqual(digestOf(reference))
    expect(results).toEqual(reference)
    // The survivor finished it, after the killed run.
    const finished = survivor.logs.filter((l) => l.msg === 'upload job finished' && l.uploadId === id)
    expect(finished).toHaveLength(1)
    expect((await bed.upload(id)).attempts).toBeGreaterThanOrEqual(2)

    recordFigures('worker-killed', {
      uploadBytes: bytes.length,
      events: results.events.length,
      detections: results.detections.length,
      riskEvents: results.riskEvents.length,
      lockDurationMs: LOCK_MS,
      killedDuring: atKill,
      // When the victim's lock lapsed before the kill (its event loop was busy), the survivor already waited on the advisory lock.
      survivorStartedAfterKillMs: startedIn(survivor)!.time - killedAt,
      finishedAfterKillMs: finishedAt - killedAt,
      digest: digestOf(results),
    })
  })
})
