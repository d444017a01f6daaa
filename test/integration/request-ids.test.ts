import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createLogger } from '../../src/logger.js'
import { readFixture } from '../helpers/fixtures.js'
import { createTestTenant } from '../helpers/tenant.js'
import { startTestService, waitFor, type TestService } from '../helpers/test-service.js'
import { waitForUpload } from '../helpers/uploads.js'

/**
 * Structured logs as an operator searches them: every request's id in its X-Request-Id answer
 * header and on every log line written for it — including lines written inside Apollo, after the
 * body parsers — and each job's lines with its queue, job id, tenant and upload. The service logs
 * through the production logger (src/logger.ts) into a buffer.
 */

type Line = { msg: string; level: number; requestId?: string } & Record<string, unknown>

describe('request ids and job fields in the logs', () => {
  let svc: TestService
  let key: string
  const lines: Line[] = []
  const withId = (id: string) => lines.filter((l) => l.requestId === id)

  beforeAll(async () => {
    const log = createLogger('info', 'watchpost-test', { write: (line: string) => void lines.push(JSON.parse(line) as Line) })
    svc = await startTestService({ log })
    key = (await createTestTenant(svc.databaseUrl, 'logs-acme')).apiKey
  })
  afterAll(async () => {
    await svc?.close()
  })

  const query = (body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${svc.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${key}`, ...headers }, body: JSON.stringify(body) })

  it('keeps a well-formed incoming X-Request-Id, echoes it, and puts it on the request’s log lines', async () => {
    const res = await query({ query: 'query Rules { rules { id } }', operationName: 'Rules' }, { 'X-Request-Id': 'edge-7f3a9c.42' })
    expect(res.status).toBe(200)
    expect(res.headers.get('x-request-id')).toBe('edge-7f3a9c.42')
    const mine = await waitFor(async () => (withId('edge-7f3a9c.42').length >= 2 ? withId('edge-7f3a9c.42') : undefined), 5_000, 'the request’s log lines')
    // Written inside Apollo, past the JSON body parser: the id survived the stream callbacks.
    expect(mine).toContainEqual(expect.objectContaining({ msg: 'graphql operation', type: 'query', field: 'rules', operationName: 'Rules', outcome: 'OK' }))
    expect(mine).toContainEqual(expect.objectContaining({ msg: 'request finished', method: 'POST', route: '/graphql', path: '/graphql', status: '200' }))
    expect(mine.every((l) => l.name === 'watchpost-test')).toBe(true)
  })

  it('gives a request without an id, or with one that is not well formed, a new UUID', async () => {
    const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/
    for (const sent of [undefined, 'has spaces and "quotes"', 'x'.repeat(129), '<script>;', '']) {
      const res = await fetch(`${svc.url}/healthz`, { headers: sent === undefined ? {} : { 'X-Request-Id': sent } })
      const id = res.headers.get('x-request-id')!
      expect(id, String(sent)).toMatch(uuid)
    }
  })

  it('never mixes the ids of concurrent requests', async () => {
    const n = 12
    await Promise.all(Array.from({ length: n }, (_, i) => query({ query: `query Op${i} { rules { id } }`, operationName: `Op${i}` }, { 'X-Request-Id': `concurrent-${i}` })))
    await waitFor(async () => (lines.filter((l) => l.msg === 'graphql operation' && String(l.operationName).startsWith('Op')).length >= n ? true : undefined), 5_000, 'every operation’s line')
    for (let i = 0; i < n; i++) {
      const op = lines.filter((l) => l.msg === 'graphql operation' && l.operationName === `Op${i}`)
      expect(op.map((l) => l.requestId), `Op${i}`).toEqual([`concurrent-${i}`])
    }
  })

  it('logs a REST upload with its request id, and its job with queue, job id, tenant and upload', async () => {
    const res = await fetch(`${svc.url}/v1/uploads?fileName=a.xml`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'X-Request-Id': 'upload-req-1' }, body: readFixture('logs/sysmon/ngrok-synthetic.xml') })
    expect(res.status).toBe(202)
    expect(res.headers.get('x-request-id')).toBe('upload-req-1')
    const { id } = ((await res.json()) as { upload: { id: string } }).upload
    await waitForUpload(svc.url, key, id)
    expect(withId('upload-req-1')).toContainEqual(expect.objectContaining({ msg: 'request finished', route: '/v1/uploads', status: '202' }))
    const job = await waitFor(async () => {
      const found = lines.filter((l) => l.uploadId === id && /^upload job (started|finished)$/.test(l.msg))
      return found.length === 2 ? found : undefined
    }, 10_000, 'the job’s lines')
    for (const l of job) expect(l).toMatchObject({ queue: 'uploads', jobId: id, uploadId: id, tenantId: expect.any(String), attempt: 1 })
    // A job is not the request: its lines carry no request id.
    expect(job.every((l) => l.requestId === undefined)).toBe(true)
  })

  it('logs health probes at debug only, so they do not bury the rest', async () => {
    const res = await fetch(`${svc.url}/healthz`, { headers: { 'X-Request-Id': 'probe-1' } })
    expect(res.status).toBe(200)
    await fetch(`${svc.url}/v1/uploads/00000000-0000-4000-8000-000000000000`, { headers: { authorization: `Bearer ${key}`, 'X-Request-Id': 'after-probe' } })
    await waitFor(async () => (withId('after-probe').length > 0 ? true : undefined), 5_000, 'the next request’s line')
    expect(withId('probe-1')).toEqual([])
    expect(withId('after-probe')).toContainEqual(expect.objectContaining({ msg: 'request finished', route: '/v1/uploads/:id', status: '404' }))
  })
})
