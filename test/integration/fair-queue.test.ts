import type { Queue, Worker } from 'bullmq'
import pg from 'pg'
import { pino } from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startUploadWorker } from '../../jobs/upload-worker.js'
import { createPrisma, type PrismaClient } from '../../src/db/prisma.js'
import { createUploadQueue, type ProcessUploadJob } from '../../src/queue/queues.js'
import { readFixture } from '../helpers/fixtures.js'
import { createTestTenant } from '../helpers/tenant.js'
import { TEST_REDIS_URL } from '../helpers/test-env.js'
import { startTestService, type TestService } from '../helpers/test-service.js'
import { uploadMultipart, waitForUpload } from '../helpers/uploads.js'

// "One tenant's 5 GB upload must not delay another tenant's small upload by more than one job
// slot." Tenant A queues a backlog while no worker runs, then tenant B queues one small upload;
// one worker with one slot then drains the queue. In FIFO order B would run last, after all of
// A's uploads; with fair priorities it runs after at most one of them.

const LOG = readFixture('logs/sysmon/ngrok-synthetic.xml')
const BACKLOG = 4

describe('the upload queue shares one job slot fairly between tenants', () => {
  let svc: TestService
  let pool: pg.Pool
  let prisma: PrismaClient
  let queue: Queue<ProcessUploadJob>
  let worker: Worker<ProcessUploadJob> | undefined
  let keyA: string
  let keyB: string

  beforeAll(async () => {
    svc = await startTestService({ worker: false })
    keyA = (await createTestTenant(svc.databaseUrl, 'busy-tenant')).apiKey
    keyB = (await createTestTenant(svc.databaseUrl, 'small-tenant')).apiKey
    pool = new pg.Pool({ connectionString: svc.databaseUrl, max: 4 })
    prisma = createPrisma(pool)
    queue = createUploadQueue(TEST_REDIS_URL, svc.queuePrefix)
  })
  afterAll(async () => {
    await worker?.close()
    await queue?.close()
    await prisma?.$disconnect()
    await pool?.end()
    await svc?.close()
  })

  const upload = async (key: string, name: string): Promise<string> => {
    const res = await uploadMultipart(svc.url, key, name, LOG)
    expect(res.errors).toBeUndefined()
    return res.data!.uploadLogs.id
  }

  it("runs tenant B's upload after at most one of tenant A's backlog, not after all of it", async () => {
    const backlog: string[] = []
    for (let i = 0; i < BACKLOG; i++) backlog.push(await upload(keyA, `a-${i}.xml`))
    const small = await upload(keyB, 'b.xml')
    const enqueued = [...backlog, small]

    const started: string[] = []
    const finished: string[] = []
    worker = startUploadWorker({ pool, prisma, redisUrl: TEST_REDIS_URL, prefix: svc.queuePrefix, concurrency: 1, log: pino({ level: 'silent' }) })
    worker.on('active', (job) => started.push(job.id!))
    worker.on('completed', (job) => finished.push(job.id!))
    for (const id of backlog) await waitForUpload(svc.url, keyA, id)
    await waitForUpload(svc.url, keyB, small)

    // One slot: every job finished before the next started.
    expect(finished).toEqual(started)
    expect(new Set(finished)).toEqual(new Set(enqueued))
    // FIFO (no fairness) would give exactly the enqueue order, B last behind the whole backlog.
    expect(finished, 'jobs ran in FIFO order: tenant B waited for all of tenant A').not.toEqual(enqueued)
    expect(finished.indexOf(small), "jobs of tenant A that ran before tenant B's").toBeLessThanOrEqual(1)
    expect(finished.filter((id) => id !== small)).toEqual(backlog)

    // The priorities BullMQ stored (finished jobs are kept): A's uploads count up, B's first upload is 1 again.
    const priorities = await Promise.all(enqueued.map(async (id) => (await queue.getJob(id))?.priority))
    expect(priorities).toEqual([1, 2, 3, 4, 1])

    // The same order as Postgres recorded it (uploads.started_at).
    const { rows } = await pool.query<{ a_before_b: number; statuses: string[] }>(
      `SELECT count(*) FILTER (WHERE a.started_at < b.started_at)::int AS a_before_b, array_agg(DISTINCT a.status::text) AS statuses
       FROM uploads a, uploads b WHERE a.id = ANY($1) AND b.id = $2`,
      [backlog, small],
    )
    expect(rows[0]).toEqual({ a_before_b: 1, statuses: ['SUCCEEDED_WITH_ERRORS'] })
  })

  it('counts only waiting and running uploads: once the backlog is done, a new upload is first in line again', async () => {
    const next = await upload(keyA, 'a-later.xml')
    expect((await queue.getJob(next))?.priority).toBe(1)
    await waitForUpload(svc.url, keyA, next)
  })
})
