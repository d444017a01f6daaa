import type { Queue } from 'bullmq'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createUploadQueue, enqueueUpload, type ProcessUploadJob } from '../../src/queue/queues.js'
import { readFixture } from '../helpers/fixtures.js'
import { createReliabilityBed, recordFigures, type ReliabilityBed } from '../helpers/reliability-bed.js'
import { serviceEnv, startServiceProcess, type LogLine, type ServiceProcess } from '../helpers/service-process.js'
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy.js'
import { TEST_REDIS_URL } from '../helpers/test-env.js'
import { waitFor } from '../helpers/test-service.js'
import { digestOf, largeSysmonUpload, uploadResults, type UploadResults } from '../helpers/upload-results.js'

// RELIABILITY.md, "Postgres restarts": real worker processes reach Postgres through a loopback TCP
// proxy, which the test cuts (every session dropped, new connections refused) and restores, as a
// Postgres restart looks from the worker — without restarting the Postgres other test files share.

const BIG = largeSysmonUpload(300)
const SMALL = readFixture('logs/sysmon/ngrok-synthetic.xml')
const OUTAGE_MS = 1_500

describe('Postgres restarting while a job runs', () => {
  let bed: ReliabilityBed
  let proxy: TcpProxy
  let queue: Queue<ProcessUploadJob>
  const workers: ServiceProcess[] = []
  const reference: { big?: UploadResults; small?: UploadResults } = {}

  beforeAll(async () => {
    bed = await createReliabilityBed()
    const target = new URL(bed.databaseUrl)
    proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 5432) })
    queue = createUploadQueue(TEST_REDIS_URL, bed.queuePrefix)
    ;[reference.big, reference.small] = await Promise.all([bed.referenceRun(BIG), bed.referenceRun(SMALL)])
    const env = serviceEnv(proxy.via(bed.databaseUrl), bed.queuePrefix, { WORKER_CONCURRENCY: '1', RECONCILE_INTERVAL_MS: '500' })
    workers.push(await startServiceProcess('worker', env))
  })
  afterAll(async () => {
    await Promise.all(workers.map((w) => w.kill()))
    await proxy?.close()
    await queue?.obliterate({ force: true }).catch(() => {})
    await queue?.close()
    await bed?.close()
  })

  const expectReference = async (id: string, ref: UploadResults | undefined): Promise<void> => {
    const results = await uploadResults(bed.pool, id)
    expect(digestOf(results)).toEqual(digestOf(ref!))
    expect(results).toEqual(ref)
  }

  it('the job fails cleanly, is retried after its backoff, and ends with the rows of an undisturbed run', async () => {
    const [worker] = workers
    const tenantId = await bed.newTenant('disturbed')
    const id = await bed.store(tenantId, BIG)
    await enqueueUpload(queue, bed.pool, { uploadId: id, tenantId })
    const atCut = await bed.waitUntilStoringEvents(id)

    await proxy.cut()
    const cutAt = Date.now()
    // Postgres saw the job's session go: its transaction is rolled back and its lock released.
    await waitFor(async () => ((await bed.lockHeld(id)) ? undefined : true), 10_000, "the job's session to end")
    expect((await bed.pool.query('SELECT count(*)::int AS n FROM process_events WHERE upload_id = $1', [id])).rows[0].n).toBe(0)
    await new Promise((r) => setTimeout(r, OUTAGE_MS - (Date.now() - cutAt)))
    await proxy.restore()
    const restoredAt = Date.now()

    expect(await bed.waitUntilFinished(id)).toBe('SUCCEEDED_WITH_ERRORS')
    await expectReference(id, reference.big)
    // The same worker process did it: losing every connection at once did not crash it.
    expect(worker!.proc.exitCode).toBeNull()
    const ofUpload = (msg: string): LogLine[] => worker!.logs.filter((l) => l.msg === msg && l.uploadId === id)
    const failed = ofUpload('upload job failed')
    expect(failed.length).toBeGreaterThanOrEqual(1)
    expect(failed.every((l) => l.final === false)).toBe(true)
    // The retry (attempt 2) waited for BullMQ's backoff (exponential from 2 s), not a busy loop.
    const retry = ofUpload('upload job started').find((l) => l.attempt === 2)
    expect(retry).toBeDefined()
    expect(retry!.time - failed[0]!.time).toBeGreaterThanOrEqual(1_900)

    recordFigures('postgres-restart', {
      outageMs: OUTAGE_MS,
      cutDuring: atCut,
      failedAttempts: failed.length,
      jobFailedAfterCutMs: failed[0]!.time - cutAt,
      retryAfterFailureMs: retry!.time - failed[0]!.time,
      finishedAfterRestoreMs: ofUpload('upload job finished')[0]!.time - restoredAt,
      digest: digestOf(reference.big!),
    })
  })

  it('while Postgres is away the reconciler fails and says so; its first pass after the restart enqueues what Postgres holds', async () => {
    const [worker] = workers
    await proxy.cut()
    const cutAt = Date.now()
    // Stored, never enqueued (as when the API died between storing an upload and enqueueing it);
    // written past the proxy: only the worker's side of Postgres is away.
    const id = await bed.store(await bed.newTenant('stored-only'), SMALL)
    await waitFor(async () => worker!.logs.find((l) => /^reconciler pass failed/.test(l.msg) && l.time >= cutAt), 10_000, 'a failed reconciler pass')
    expect(await queue.getJobState(id)).toBe('unknown')

    await proxy.restore()
    const restoredAt = Date.now()
    expect(await bed.waitUntilFinished(id)).toBe('SUCCEEDED_WITH_ERRORS')
    await expectReference(id, reference.small)
    expect(worker!.proc.exitCode).toBeNull()
    recordFigures('postgres-away-reconciler', { finishedAfterRestoreMs: Date.now() - restoredAt })
  })
})
