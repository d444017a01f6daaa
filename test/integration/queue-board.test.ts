import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readFixture } from '../helpers/fixtures.js'
import { createTestTenant } from '../helpers/tenant.js'
import { startTestService, type TestService } from '../helpers/test-service.js'

/**
 * The BullMQ board at /admin/queues as an operator's browser and scripts use it: the operator
 * credential by HTTP Basic (the token as password) or Bearer; tenant keys refused; the page, its
 * assets and its JSON API served; changes only from the board's own pages; a read-only board.
 */

const OPERATOR_TOKEN = 'operator-token-for-the-queue-board-0000'
const basic = (password: string, user = 'ops') => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`
const OPERATOR = { authorization: basic(OPERATOR_TOKEN) }

describe('queue board', () => {
  let svc: TestService
  let readOnly: TestService
  let key: string
  let uploadId: string
  const board = (path = '', init: RequestInit = {}) => fetch(`${svc.url}/admin/queues${path}`, init)

  beforeAll(async () => {
    // No worker: the upload's job stays in the queue for the board to show.
    ;[svc, readOnly] = await Promise.all([
      startTestService({ worker: false, env: { OPERATOR_TOKEN } }),
      startTestService({ worker: false, env: { OPERATOR_TOKEN, QUEUE_BOARD_READ_ONLY: 'true' } }),
    ])
    key = (await createTestTenant(svc.databaseUrl, 'board-acme')).apiKey
    const res = await fetch(`${svc.url}/v1/uploads?fileName=a.xml`, { method: 'POST', headers: { authorization: `Bearer ${key}` }, body: readFixture('logs/sysmon/ngrok-synthetic.xml') })
    uploadId = ((await res.json()) as { upload: { id: string } }).upload.id
  })
  afterAll(async () => {
    await Promise.all([svc?.close(), readOnly?.close()])
  })

  it('asks a browser for the operator credential, and refuses wrong ones (401) and tenant keys (403)', async () => {
    const none = await board()
    expect(none.status).toBe(401)
    expect(none.headers.get('www-authenticate')).toBe('Basic realm="watchpost operator", charset="UTF-8"')
    expect(await none.text()).not.toContain('<html')
    expect((await board('', { headers: { authorization: basic(`${OPERATOR_TOKEN}x`) } })).status).toBe(401)
    expect((await board('', { headers: { authorization: 'Basic bm90LWJhc2U2NA' } })).status).toBe(401)
    for (const authorization of [`Bearer ${key}`, basic(key)]) {
      const res = await board('/api/queues', { headers: { authorization } })
      expect(res.status, authorization.slice(0, 6)).toBe(403)
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('FORBIDDEN')
    }
  })

  it('serves the page and its assets to the operator, keeping every request on this origin', async () => {
    for (const headers of [OPERATOR, { authorization: `Bearer ${OPERATOR_TOKEN}` }, { authorization: basic(OPERATOR_TOKEN, '') }]) {
      const page = await board('', { headers })
      expect(page.status).toBe(200)
      const html = await page.text()
      expect(html).toContain('<title>Watchpost queues</title>')
      expect(html).toContain('<base href="/admin/queues/" />')
      expect(page.headers.get('content-security-policy')).toContain("default-src 'self'")
      expect(page.headers.get('x-powered-by')).toBeNull()
      const script = /<script defer src="(static\/js\/[^"]+\.js)"/.exec(html)![1]!
      const asset = await board(`/${script}`, { headers })
      expect(asset.status).toBe(200)
      expect(asset.headers.get('content-type')).toMatch(/javascript/)
    }
    // The assets are the operator's too.
    expect((await board('/static/favicon-32x32.png')).status).toBe(401)
  })

  it('lists every queue and the upload’s job, with ids only', async () => {
    const res = await board('/api/queues?activeQueue=uploads&status=prioritized&page=1', { headers: OPERATOR })
    expect(res.status).toBe(200)
    const body = (await res.json()) as { queues: { name: string; readOnlyMode: boolean; counts: Record<string, number>; jobs: { id: string; data: unknown }[] }[] }
    expect(body.queues.map((q) => q.name).sort()).toEqual(['maintenance', 'scans', 'uploads', 'webhooks'])
    const uploads = body.queues.find((q) => q.name === 'uploads')!
    expect(uploads.readOnlyMode).toBe(false)
    expect(uploads.counts.prioritized).toBe(1)
    expect(uploads.jobs.map((j) => j.id)).toEqual([uploadId])
    expect(uploads.jobs[0]!.data).toEqual({ uploadId, tenantId: expect.any(String) })
  })

  it('takes changes from the board’s own pages and from scripts, never from another site', async () => {
    const pause = (headers: Record<string, string>) => board('/api/queues/scans/pause', { method: 'PUT', headers: { ...OPERATOR, ...headers } })
    const paused = async () => ((await (await board('/api/queues', { headers: OPERATOR })).json()) as { queues: { name: string; isPaused: boolean }[] }).queues.find((q) => q.name === 'scans')!.isPaused
    for (const headers of [{ 'sec-fetch-site': 'cross-site' }, { 'sec-fetch-site': 'same-site' }, { origin: 'https://attacker.example' }] as Record<string, string>[]) {
      const res = await pause(headers)
      expect(res.status, JSON.stringify(headers)).toBe(403)
      expect(await paused()).toBe(false)
    }
    // Without the credential, even a same-origin change is refused first.
    expect((await board('/api/queues/scans/pause', { method: 'PUT', headers: { 'sec-fetch-site': 'same-origin' } })).status).toBe(401)
    expect((await pause({ 'sec-fetch-site': 'same-origin', origin: svc.url })).status).toBe(200)
    expect(await paused()).toBe(true)
    // A script (no browser headers) with the credential.
    expect((await board('/api/queues/scans/resume', { method: 'PUT', headers: { authorization: `Bearer ${OPERATOR_TOKEN}` } })).status).toBe(200)
    expect(await paused()).toBe(false)
  })

  it('QUEUE_BOARD_READ_ONLY: shows the queues and refuses every change', async () => {
    const headers = { authorization: `Bearer ${OPERATOR_TOKEN}` }
    const list = await fetch(`${readOnly.url}/admin/queues/api/queues`, { headers })
    expect(list.status).toBe(200)
    const queues = ((await list.json()) as { queues: { name: string; readOnlyMode: boolean }[] }).queues
    expect(queues.map((q) => q.readOnlyMode)).toEqual([true, true, true, true])
    const pause = await fetch(`${readOnly.url}/admin/queues/api/queues/uploads/pause`, { method: 'PUT', headers })
    expect(pause.status).toBe(405)
    expect((await fetch(`${readOnly.url}/admin/queues/api/queues/uploads/clean/completed`, { method: 'PUT', headers })).status).toBe(405)
  })
})
