import { randomBytes } from 'node:crypto'
import http from 'node:http'
import { Queue } from 'bullmq'
import pg from 'pg'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { UPLOAD_QUEUE, redisConnection } from '../../src/queue/queues.js'
import { syntheticLog } from '../load/synthetic-logs.js'
import { deleteQueueKeys } from '../helpers/redis-keys.js'
import { recordFigures } from '../helpers/reliability-bed.js'
import { serviceEnv, startServiceProcess, type ServiceProcess } from '../helpers/service-process.js'
import { createTestTenant } from '../helpers/tenant.js'
import { createTestDatabase } from '../helpers/test-database.js'
import { TEST_REDIS_URL } from '../helpers/test-env.js'
import { waitFor } from '../helpers/test-service.js'

/**
 * SIGTERM, as an orchestrator sends it, to real `watchpost serve` and `watchpost worker`
 * processes. What an operator relies on when a pod is replaced:
 *
 *   - the API stops accepting connections at once, answers the requests in flight (an upload
 *     still streaming in is received whole), tells kept-alive clients to go away (`Connection:
 *     close`), and cuts what is still running when SHUTDOWN_GRACE_MS ends — a cut upload leaves
 *     nothing behind;
 *   - a worker takes no new job, lets a running one finish within the grace period, or else hands
 *     it back to the queue untouched, and another worker completes it with exact counts;
 *   - then pools and Redis connections close and the process exits 0 by itself (an open handle
 *     would keep it alive until the deadline, which exits 1).
 */

type Response = { status: number; headers: http.IncomingHttpHeaders; body: string }

/** POST /v1/uploads whose body the test writes piece by piece (a slow client, a large file). */
function streamingUpload(url: string, apiKey: string, fileName: string, agent: http.Agent) {
  const req = http.request(`${url}/v1/uploads?fileName=${fileName}`, { method: 'POST', agent, headers: { authorization: `Bearer ${apiKey}` } })
  const response = new Promise<Response>((resolve, reject) => {
    req.on('response', (res) => {
      let body = ''
      res.on('data', (d: Buffer) => (body += d.toString()))
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }))
      res.on('error', reject)
    })
    req.on('error', reject)
  })
  response.catch(() => {}) // observed by the test; never an unhandled rejection
  return { req, response }
}

function get(url: string, agent: http.Agent): Promise<Response> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent }, (res) => {
        let body = ''
        res.on('data', (d: Buffer) => (body += d.toString()))
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }))
      })
      .on('error', reject)
  })
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

describe('graceful shutdown on SIGTERM (real processes)', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>
  let apiKey: string
  let sql: pg.Pool
  const queuePrefix = `wptest-${randomBytes(4).toString('hex')}`
  const started: ServiceProcess[] = []
  /** Milliseconds from the signal to each process's exit, for RELIABILITY.md. */
  const figures: Record<string, number> = {}
  const start = async (command: 'serve' | 'worker', extra: Record<string, string> = {}) => {
    const p = await startServiceProcess(command, serviceEnv(db.url, queuePrefix, extra))
    started.push(p)
    return p
  }

  beforeAll(async () => {
    db = await createTestDatabase()
    apiKey = (await createTestTenant(db.url, 'shutdown')).apiKey
    sql = new pg.Pool({ connectionString: db.url, max: 2 })
  })
  afterEach(async () => {
    for (const p of started.splice(0)) await p.kill()
  })
  afterAll(async () => {
    recordFigures('graceful-shutdown', figures)
    await sql?.end()
    await db?.drop()
    await deleteQueueKeys(TEST_REDIS_URL, queuePrefix)
  })

  describe('the API', () => {
    it('receives an upload still streaming in at SIGTERM, refuses new connections, closes kept-alive ones, and exits 0', async () => {
      const api = await start('serve')
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 })
      const idle = new http.Agent({ keepAlive: true })
      // A kept-alive connection left idle: it must not hold the stop. (Idle connections are kept
      // 65 s, longer than load balancers' and client pools' own idle timeouts.)
      const first = await get(`${api.url}/healthz`, idle)
      expect(first.headers).toMatchObject({ connection: 'keep-alive', 'keep-alive': 'timeout=65' })
      // The busy one: a first request on it, then an upload that is still streaming at SIGTERM.
      expect((await get(`${api.url}/healthz`, agent)).headers.connection).toBe('keep-alive')
      const log = syntheticLog({ source: 'sysmon-xml', events: 200, seed: 1, firstId: 1 })
      const upload = streamingUpload(api.url!, apiKey, 'streaming.xml', agent)
      upload.req.write(log.subarray(0, 1000))
      await sleep(300)

      const signalledAt = performance.now()
      api.proc.kill('SIGTERM')
      await api.waitForLog('shutting down')
      await expect(fetch(`${api.url}/healthz`)).rejects.toThrow() // the listener is closed
      upload.req.end(log.subarray(1000))
      const answer = await upload.response
      expect(answer.status).toBe(202)
      expect(answer.headers.connection).toBe('close')
      expect(JSON.parse(answer.body).upload).toMatchObject({ status: 'QUEUED', sizeBytes: log.length })

      // The kept-alive client goes on sending: nothing is served on its connection any more.
      let served = 0
      while (performance.now() - signalledAt < 3_000 && api.proc.exitCode === null) {
        served += await get(`${api.url}/healthz`, agent).then(
          () => 1,
          () => 0,
        )
        await sleep(50)
      }
      expect(served).toBe(0)
      const exit = await api.exited
      expect(exit).toMatchObject({ code: 0, signal: null })
      figures.apiDrainedExitMs = Math.round(exit.at - signalledAt)
      expect(exit.at - signalledAt).toBeLessThan(5_000) // far below the 20 s grace period
      expect(api.logs.find((l) => l.msg === 'watchpost stopped')).toMatchObject({ requestsCut: 0 })
      const { rows } = await sql.query('SELECT status, size_bytes FROM uploads WHERE file_name = $1', ['streaming.xml'])
      expect(rows).toEqual([{ status: 'QUEUED', size_bytes: String(log.length) }])
      agent.destroy()
      idle.destroy()
    })

    it('cuts a request still running when SHUTDOWN_GRACE_MS ends; the half-received upload leaves nothing behind', async () => {
      const api = await start('serve', { SHUTDOWN_GRACE_MS: '1000' })
      const agent = new http.Agent({ keepAlive: true })
      const upload = streamingUpload(api.url!, apiKey, 'never-finished.xml', agent)
      upload.req.write(syntheticLog({ source: 'sysmon-xml', events: 50, seed: 2, firstId: 1 }))
      await sleep(300)
      const signalledAt = performance.now()
      api.proc.kill('SIGTERM')
      await expect(upload.response).rejects.toThrow(/socket hang up|ECONNRESET/)
      const cutAfter = performance.now() - signalledAt
      expect(cutAfter).toBeGreaterThanOrEqual(900)
      const exit = await api.exited
      figures.apiCutAfterMs = Math.round(cutAfter)
      figures.apiCutExitMs = Math.round(exit.at - signalledAt)
      expect(exit).toMatchObject({ code: 0, signal: null })
      expect(exit.at - signalledAt).toBeLessThan(1_000 + 4_000)
      expect(api.logs.find((l) => l.msg === 'watchpost stopped')).toMatchObject({ requestsCut: 1 })
      const { rows } = await sql.query('SELECT count(*)::int AS n FROM uploads WHERE file_name = $1', ['never-finished.xml'])
      expect(rows[0].n).toBe(0)
      agent.destroy()
    })

    it('a second signal exits at once, without waiting for the grace period', async () => {
      const api = await start('serve', { SHUTDOWN_GRACE_MS: '30000' })
      const upload = streamingUpload(api.url!, apiKey, 'second-signal.xml', new http.Agent())
      upload.req.write('<Event')
      await sleep(300)
      api.proc.kill('SIGTERM')
      await api.waitForLog('shutting down')
      const secondAt = performance.now()
      api.proc.kill('SIGINT')
      const exit = await api.exited
      expect(exit.code).toBe(1)
      figures.secondSignalExitMs = Math.round(exit.at - secondAt)
      expect(exit.at - secondAt).toBeLessThan(2_000)
      expect(api.logs.map((l) => l.msg)).toContain('second signal: exiting without finishing the shutdown')
    })
  })

  describe('a worker', () => {
    const EVENTS = 10_000
    let api: ServiceProcess
    let queue: Queue

    beforeAll(async () => {
      api = await startServiceProcess('serve', serviceEnv(db.url, queuePrefix))
      queue = new Queue(UPLOAD_QUEUE, { connection: redisConnection(TEST_REDIS_URL), prefix: queuePrefix })
    })
    afterAll(async () => {
      await queue?.obliterate({ force: true })
      await queue?.close()
      await api?.kill()
    })

    async function upload(firstId: number): Promise<string> {
      const res = await fetch(`${api.url}/v1/uploads?fileName=big-${firstId}.xml`, {
        method: 'POST',
        headers: { authorization: `Bearer ${apiKey}` },
        body: syntheticLog({ source: 'sysmon-xml', events: EVENTS, seed: 3, firstId }),
      })
      expect(res.status).toBe(202)
      return ((await res.json()) as { upload: { id: string } }).upload.id
    }
    const uploadRow = async (id: string) =>
      (await sql.query('SELECT status, event_count, process_events, attempts, (SELECT count(*)::int FROM process_events e WHERE e.upload_id = u.id) AS stored FROM uploads u WHERE id = $1', [id])).rows[0]

    it('lets the job running at SIGTERM finish within the grace period, then exits 0', async () => {
      const worker = await start('worker')
      const id = await upload(1_000_000)
      await worker.waitForLog('upload job started', { uploadId: id })
      const signalledAt = performance.now()
      worker.proc.kill('SIGTERM')
      const exit = await worker.exited
      expect(exit).toMatchObject({ code: 0, signal: null })
      figures.workerFinishedJobExitMs = Math.round(exit.at - signalledAt)
      expect(exit.at - signalledAt).toBeLessThan(20_000)
      const order = worker.logs.filter((l) => l.uploadId === id || ['shutting down', 'watchpost stopped'].includes(l.msg)).map((l) => l.msg)
      expect(order).toEqual(['upload job started', 'shutting down', 'upload job finished', 'watchpost stopped'])
      expect(await uploadRow(id)).toMatchObject({ status: 'SUCCEEDED', event_count: EVENTS, process_events: EVENTS, stored: EVENTS })
    })

    it('hands a job that outlasts the grace period back untouched; another worker completes it exactly once', async () => {
      const first = await start('worker', { SHUTDOWN_GRACE_MS: '0' })
      const id = await upload(2_000_000)
      await first.waitForLog('upload job started', { uploadId: id })
      const signalledAt = performance.now()
      first.proc.kill('SIGTERM')
      const exit = await first.exited
      expect(exit).toMatchObject({ code: 0, signal: null })
      figures.workerHandedBackExitMs = Math.round(exit.at - signalledAt)
      expect(exit.at - signalledAt).toBeLessThan(5_000)
      expect(first.logs.map((l) => l.msg)).toContain('upload job handed back to the queue: the worker is shutting down')
      expect(first.logs.find((l) => l.msg === 'watchpost stopped')).toMatchObject({ jobsHandedBack: true })
      expect(first.logs.map((l) => l.msg)).not.toContain('upload job failed')
      // Back in the queue, no attempt spent; the upload is QUEUED with nothing of the interrupted attempt.
      const job = (await queue.getJob(id))!
      expect(['waiting', 'prioritized']).toContain(await job.getState())
      expect(job.attemptsMade).toBe(0)
      expect(await uploadRow(id)).toMatchObject({ status: 'QUEUED', stored: 0 })

      const second = await start('worker')
      const secondStarted = performance.now()
      const done = await waitFor(async () => {
        const row = await uploadRow(id)
        return row.status === 'QUEUED' || row.status === 'RUNNING' ? undefined : row
      }, 60_000, 'the handed-back upload to finish')
      figures.handedBackJobDoneAfterSecondWorkerMs = Math.round(performance.now() - secondStarted)
      expect(done).toMatchObject({ status: 'SUCCEEDED', event_count: EVENTS, process_events: EVENTS, stored: EVENTS })
      // Logged after the commit the row already shows: wait for the line.
      expect(await second.waitForLog('upload job finished', { uploadId: id })).toMatchObject({ uploadId: id, attempt: 1 })
    })
  })
})
