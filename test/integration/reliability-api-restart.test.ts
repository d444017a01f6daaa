import http from 'node:http'
import type { Queue } from 'bullmq'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createUploadQueue, type ProcessUploadJob } from '../../src/queue/queues.js'
import { enableBundledRules } from '../../src/services/bundled-content.js'
import { ENQUEUE_WAIT_MS } from '../../src/services/receive-upload.js'
import { createTenant } from '../../src/store/tenants.js'
import { CHUNK_BYTES } from '../../src/store/upload-chunks.js'
import { readFixture } from '../helpers/fixtures.js'
import { startPrivateRedis, type PrivateRedis } from '../helpers/private-redis.js'
import { createReliabilityBed, recordFigures, type ReliabilityBed } from '../helpers/reliability-bed.js'
import { serviceEnv, startServiceProcess, type ServiceProcess } from '../helpers/service-process.js'
import { waitFor } from '../helpers/test-service.js'
import { digestOf, largeSysmonUpload, uploadResults, type UploadResults } from '../helpers/upload-results.js'

// RELIABILITY.md, "API restarts during an upload": real `watchpost serve` processes, SIGKILLed
// while a client sends an upload (nothing is recorded, the client gets an error) and right after
// an upload was stored but before its job reached Redis (the upload is kept and a worker's
// reconciler processes it); and an API whose Redis is down still accepts uploads.

const LARGE = largeSysmonUpload(200)
const SMALL = readFixture('logs/sysmon/ngrok-synthetic.xml')

describe('the API restarting during an upload', () => {
  let bed: ReliabilityBed
  let redis: PrivateRedis
  let queue: Queue<ProcessUploadJob>
  let reference: UploadResults
  const processes: ServiceProcess[] = []
  /** The API the first test restarts, which the second goes on with. */
  let api: ServiceProcess
  let tenants = 0

  beforeAll(async () => {
    ;[bed, redis] = await Promise.all([createReliabilityBed(), startPrivateRedis()])
    queue = createUploadQueue(redis.url, bed.queuePrefix)
    queue.on('error', () => {}) // Redis is down on purpose for a while
    reference = await bed.referenceRun(SMALL)
  })
  afterAll(async () => {
    await Promise.all(processes.map((p) => p.kill()))
    await queue?.close()
    await redis?.stop()
    await bed?.close()
  })

  const start = async (command: 'serve' | 'worker'): Promise<ServiceProcess> => {
    const p = await startServiceProcess(command, serviceEnv(bed.databaseUrl, bed.queuePrefix, { REDIS_URL: redis.url, RECONCILE_INTERVAL_MS: '500' }))
    processes.push(p)
    return p
  }
  const kill = async (p: ServiceProcess): Promise<number> => {
    p.proc.kill('SIGKILL')
    const killedAt = Date.now()
    expect((await p.exited).signal).toBe('SIGKILL')
    return killedAt
  }
  const tenantWithKey = async (): Promise<{ id: string; apiKey: string }> => {
    const created = await createTenant(bed.prisma, `api-${++tenants}`)
    await enableBundledRules(bed.prisma, created.tenant.id, null)
    return { id: created.tenant.id, apiKey: created.apiKey }
  }
  const uploadsOf = async (tenantId: string): Promise<{ id: string; status: string; size_bytes: string; chunks: number }[]> =>
    (
      await bed.pool.query(
        `SELECT u.id, u.status, u.size_bytes, (SELECT count(*)::int FROM upload_chunks c WHERE c.upload_id = u.id) AS chunks FROM uploads u WHERE u.tenant_id = $1`,
        [tenantId],
      )
    ).rows
  /** A session of the test database other than the test's own that is inside a transaction. */
  const openTransactions = async (): Promise<number> =>
    (await bed.pool.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND xact_start IS NOT NULL`)).rows[0].n
  /** POST /v1/uploads with the raw body, as curl does. */
  const post = (api: ServiceProcess, apiKey: string, body: Buffer) =>
    fetch(`${api.url}/v1/uploads?fileName=log.xml`, { method: 'POST', headers: { authorization: `Bearer ${apiKey}` }, body })

  it('killed while the body streams in: nothing is recorded and the client gets an error; restarted, it stores and queues the whole upload', async () => {
    const tenant = await tenantWithKey()
    api = await start('serve')
    // Half the body, then wait until the API writes it into Postgres, then kill it mid-body.
    const half = Math.floor(LARGE.length / 2)
    const request = http.request(`${api.url}/v1/uploads?fileName=large.xml`, { method: 'POST', headers: { authorization: `Bearer ${tenant.apiKey}`, 'content-length': LARGE.length } })
    const answer = new Promise<string>((resolve, reject) => {
      request.on('response', (res) => resolve(`HTTP ${res.statusCode}`))
      request.on('error', reject)
    })
    answer.catch(() => {})
    request.write(LARGE.subarray(0, half))
    await waitFor(
      async () => ((await bed.pool.query(`SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'INSERT INTO upload_chunks%'`)).rowCount ? true : undefined),
      15_000,
      'the API to store chunks',
    )
    await kill(api)
    request.write(LARGE.subarray(half))
    await expect(answer).rejects.toThrow(/socket hang up|ECONNRESET|EPIPE/)
    // Once Postgres has seen the API's session go, nothing of the upload remains.
    await waitFor(async () => ((await openTransactions()) === 0 ? true : undefined), 10_000, "the killed API's transaction to end")
    expect(await uploadsOf(tenant.id)).toEqual([])

    api = await start('serve')
    const res = await post(api, tenant.apiKey, LARGE)
    expect(res.status).toBe(202)
    const { upload } = (await res.json()) as { upload: { id: string; status: string; sizeBytes: number } }
    expect(upload).toMatchObject({ status: 'QUEUED', sizeBytes: LARGE.length })
    expect(await uploadsOf(tenant.id)).toEqual([{ id: upload.id, status: 'QUEUED', size_bytes: String(LARGE.length), chunks: Math.ceil(LARGE.length / CHUNK_BYTES) }])
    expect(await queue.getJobState(upload.id)).toBe('prioritized')
  })

  it('with Redis down it still accepts uploads (202 after the bounded wait); killed between storing one and enqueueing it, the client gets an error and a worker processes the upload', async () => {
    const [accepted, interrupted] = [await tenantWithKey(), await tenantWithKey()]
    await redis.down()

    const sentAt = Date.now()
    const res = await post(api, accepted.apiKey, SMALL)
    const answeredMs = Date.now() - sentAt
    expect(res.status).toBe(202)
    expect(answeredMs).toBeGreaterThanOrEqual(ENQUEUE_WAIT_MS - 100)
    expect(answeredMs).toBeLessThan(ENQUEUE_WAIT_MS + 2_000)
    const acceptedId = ((await res.json()) as { upload: { id: string } }).upload.id

    // The second upload: kill the API as soon as the upload is committed (it then waits for Redis).
    const answer = post(api, interrupted.apiKey, SMALL)
    answer.catch(() => {})
    const stored = await waitFor(async () => (await uploadsOf(interrupted.id))[0], 10_000, 'the upload to be committed')
    await kill(api)
    await expect(answer).rejects.toThrow()
    expect(stored).toMatchObject({ status: 'QUEUED', size_bytes: String(SMALL.length), chunks: 1 })

    await redis.up()
    const workerStartedAt = Date.now()
    await start('worker')
    for (const id of [acceptedId, stored.id]) {
      expect(await bed.waitUntilFinished(id)).toBe('SUCCEEDED_WITH_ERRORS')
      const results = await uploadResults(bed.pool, id)
      expect(digestOf(results)).toEqual(digestOf(reference))
      expect(results).toEqual(reference)
    }
    recordFigures('api-restart', { acceptedWithRedisDownAfterMs: answeredMs, bothProcessedAfterWorkerStartMs: Date.now() - workerStartedAt })
  })
})
