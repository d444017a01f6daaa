import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { reconcileOnce } from '../../src/queue/reconciler.js'
import { unfinishedWebhookDeliveries } from '../../src/queue/unfinished-webhook-deliveries.js'
import { createWebhookQueue } from '../../src/queue/webhook-queue.js'
import { distinctCopies, readFixture, SEED_RULE_YAML } from '../helpers/fixtures.js'
import { createTestTenant } from '../helpers/tenant.js'
import { TEST_REDIS_URL } from '../helpers/test-env.js'
import { graphql, startTestService, waitFor, type TestService } from '../helpers/test-service.js'
import { uploadMultipart, waitForUpload } from '../helpers/uploads.js'
import { startWebhookReceiver, verifyWatchpostSignature, type WebhookReceiver } from '../helpers/webhook-receiver.js'

// Webhooks end to end: the real API and worker, uploads producing detections and risk incidents,
// and deliveries over HTTP to a receiver on 127.0.0.1 (allowed here by
// WEBHOOK_ALLOW_PRIVATE_DESTINATIONS), verified as a receiver would. Short backoff keeps retries fast.
// The ngrok fixture makes 4 detections of the seed rule (test/fixtures/logs/README.md).

const SYSMON = readFixture('logs/sysmon/ngrok-synthetic.xml')
const MAX_ATTEMPTS = 3

let svc: TestService
let receiver: WebhookReceiver

beforeAll(async () => {
  receiver = await startWebhookReceiver()
  svc = await startTestService({ env: { WEBHOOK_ALLOW_PRIVATE_DESTINATIONS: 'true', WEBHOOK_BACKOFF_MS: '50', WEBHOOK_MAX_ATTEMPTS: String(MAX_ATTEMPTS), WEBHOOK_TIMEOUT_MS: '2000' } })
})
afterAll(async () => {
  await svc?.close()
  await receiver?.close()
})

type Delivery = { id: string; eventId: string; eventType: string; status: string; attempts: number; lastStatusCode: number | null; lastError: string | null; nextAttemptAt: string | null; redeliveryOf: string | null; payload: any }
const DELIVERY_FIELDS = 'id eventId eventType status attempts lastStatusCode lastError nextAttemptAt redeliveryOf payload'

async function tenantWithRule(name: string): Promise<string> {
  const key = (await createTestTenant(svc.databaseUrl, name)).apiKey
  const res = await graphql(svc.url, key, 'mutation ($y: String!) { importRules(yaml: $y) { rules { id } } }', { y: SEED_RULE_YAML })
  expect(res.errors).toBeUndefined()
  return key
}

async function createWebhook(key: string, path: string, events: string[]): Promise<{ id: string; secret: string }> {
  const res = await graphql<any>(svc.url, key, 'mutation ($i: CreateWebhookInput!) { createWebhook(input: $i) { webhook { id } secret } }', {
    i: { name: path, url: `${receiver.url}${path}`, events },
  })
  expect(res.errors).toBeUndefined()
  return { id: res.data.createWebhook.webhook.id, secret: res.data.createWebhook.secret }
}

async function upload(key: string, bytes: Buffer = SYSMON): Promise<string> {
  const sent = await uploadMultipart(svc.url, key, 'ngrok.xml', bytes)
  return (await waitForUpload(svc.url, key, sent.data!.uploadLogs.id)).id as string
}

async function deliveries(key: string, webhookId: string, status?: string): Promise<Delivery[]> {
  const res = await graphql<any>(svc.url, key, `query ($w: ID!, $s: WebhookDeliveryStatus) { webhookDeliveries(webhookId: $w, first: 200, status: $s) { totalCount edges { node { ${DELIVERY_FIELDS} } } } }`, {
    w: webhookId,
    s: status ?? null,
  })
  expect(res.errors).toBeUndefined()
  return res.data.webhookDeliveries.edges.map((e: any) => e.node)
}

/** Waits until the webhook has `count` deliveries and none is PENDING. */
const settled = (key: string, webhookId: string, count: number) =>
  waitFor(async () => {
    const list = await deliveries(key, webhookId)
    return list.length === count && list.every((d) => d.status !== 'PENDING') ? list : undefined
  }, 20_000, `${count} settled deliveries`)

const detectionIds = async (key: string): Promise<string[]> =>
  (await graphql<any>(svc.url, key, '{ detections(first: 50, filter: { includeSuppressed: false }) { edges { node { id } } } }')).data.detections.edges.map((e: any) => e.node.id).sort()

describe('webhook deliveries', () => {
  it('sends one signed DETECTION_CREATED per new detection, none for a re-upload of the same events, one DETECTION_REOPENED for a closed true positive that grows', async () => {
    const key = await tenantWithRule('deliver')
    const hook = await createWebhook(key, '/all', ['DETECTION_CREATED', 'DETECTION_REOPENED'])
    const uploadId = await upload(key)
    const list = await settled(key, hook.id, 4)
    const ids = await detectionIds(key)
    expect(ids).toHaveLength(4)
    expect(list.every((d) => d.status === 'DELIVERED' && d.attempts === 1 && d.lastStatusCode === 200 && d.eventType === 'DETECTION_CREATED')).toBe(true)
    expect(list.map((d) => d.payload.data.detection.id).sort()).toEqual(ids)

    const got = receiver.at('/all')
    expect(got).toHaveLength(4)
    for (const req of got) {
      expect(verifyWatchpostSignature(req, hook.secret), 'signature').toBe(true)
      expect(verifyWatchpostSignature(req, 'whsec_not-the-secret')).toBe(false)
      const tampered = req.body.replace(/"count":(\d+)/, (_m, n: string) => `"count":${Number(n) + 1}`)
      expect(tampered).not.toBe(req.body)
      expect(verifyWatchpostSignature({ ...req, body: tampered }, hook.secret), 'a changed body').toBe(false)
      expect(req.headers['content-type']).toBe('application/json')
      expect(req.headers['watchpost-event-type']).toBe('DETECTION_CREATED')
      const body = JSON.parse(req.body)
      const delivery = list.find((d) => d.id === req.headers['watchpost-delivery-id'])!
      expect(delivery, 'the delivery id header names a delivery of the history').toBeDefined()
      expect(req.headers['watchpost-event-id']).toBe(body.id)
      expect(body).toEqual(delivery.payload)
      expect(Object.keys(body)).toEqual(['id', 'type', 'createdAt', 'tenant', 'data'])
      expect(body.tenant.name).toBe('deliver')
      expect(body.data.detection).toMatchObject({ status: 'NEW', ruleName: 'Windows Ngrok Reverse Proxy Usage', escuId: 'e2549f2c-0aef-408a-b0c1-e0f270623436', mitreTechniques: ['T1572', 'T1090', 'T1102'] })
      expect(body.data.detection.fields.process_name).toMatch(/ngrok/i)
      expect(body.data.detection.riskObjects.map((o: any) => o.type).sort()).toEqual(['system', 'user'])
      expect(body.data.detection.firstSeen).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/)
    }
    expect(new Set(got.map((r) => r.headers['watchpost-event-id'])).size).toBe(4)

    // The history pages newest first.
    const PAGE = 'query ($w: ID!, $a: String) { webhookDeliveries(webhookId: $w, first: 3, after: $a) { totalCount pageInfo { hasNextPage endCursor } edges { node { id } } } }'
    const p1 = (await graphql<any>(svc.url, key, PAGE, { w: hook.id })).data.webhookDeliveries
    const p2 = (await graphql<any>(svc.url, key, PAGE, { w: hook.id, a: p1.pageInfo.endCursor })).data.webhookDeliveries
    expect([p1.totalCount, p1.pageInfo.hasNextPage, p1.edges.length, p2.pageInfo.hasNextPage, p2.edges.length]).toEqual([4, true, 3, false, 1])
    expect([...p1.edges, ...p2.edges].map((e: any) => e.node.id)).toEqual(list.map((d) => d.id))

    // The same events again: no new detection, so no new delivery (they would be written with the upload).
    await upload(key)
    expect(await deliveries(key, hook.id)).toHaveLength(4)

    // A detection closed as a true positive that new events (same groups, new record ids) reopen.
    const closed = ids[0]!
    const res = await graphql(svc.url, key, 'mutation ($id: ID!) { setDetectionStatus(id: $id, status: CLOSED_TRUE_POSITIVE) { id } }', { id: closed })
    expect(res.errors).toBeUndefined()
    const second = await upload(key, distinctCopies(SYSMON, 1, 1))
    const after = await settled(key, hook.id, 5)
    const reopened = after.filter((d) => d.eventType === 'DETECTION_REOPENED')
    expect(reopened).toHaveLength(1)
    expect(reopened[0]!.payload.data.detection).toMatchObject({ id: closed, status: 'NEW' })
    expect(reopened[0]!.payload.data.reopened.by).toBe(`upload ${second}`)
    expect(reopened[0]!.payload.data.reopened.addedEvents).toBeGreaterThan(0)
    expect(second).not.toBe(uploadId)
  })

  it('does not notify detections suppressed into an earlier one', async () => {
    const key = await tenantWithRule('suppressed')
    const rule = (await graphql<any>(svc.url, key, '{ rules { id } }')).data.rules[0].id
    // Every row of the fixture has the same action: one alert stands for all four.
    const set = await graphql(svc.url, key, 'mutation ($id: ID!) { setRuleAlerting(id: $id, input: { suppressBy: ["action"], suppressWindow: "30d" }) { id } }', { id: rule })
    expect(set.errors).toBeUndefined()
    const hook = await createWebhook(key, '/suppressed', ['DETECTION_CREATED'])
    await upload(key)
    const all = (await graphql<any>(svc.url, key, '{ detections(filter: { includeSuppressed: true }) { edges { node { id suppressedInto } } } }')).data.detections.edges.map((e: any) => e.node)
    expect(all).toHaveLength(4)
    const [unsuppressed] = all.filter((d: any) => d.suppressedInto === null)
    const list = await settled(key, hook.id, 1)
    expect(list[0]!.payload.data.detection.id).toBe(unsuppressed.id)
    expect(receiver.at('/suppressed')).toHaveLength(1)
  })

  it('sends RISK_INCIDENT_CREATED for an incident the upload raises, and only to webhooks subscribed to it', async () => {
    const key = await tenantWithRule('incidents')
    // The fixture's events are months old: a custom rule with a year-long window and a low threshold.
    const rule = await graphql<any>(svc.url, key, 'mutation { setRiskIncidentRule(input: { name: "any risk", kind: SCORE_THRESHOLD, scoreThreshold: 10, windowHours: 8784 }) { id } }')
    expect(rule.errors).toBeUndefined()
    const incidentsHook = await createWebhook(key, '/incidents', ['RISK_INCIDENT_CREATED'])
    const detectionsHook = await createWebhook(key, '/detections-only', ['DETECTION_CREATED'])
    await upload(key)
    const incidents = (await graphql<any>(svc.url, key, '{ riskIncidents(first: 50) { totalCount edges { node { id riskObject } } } }')).data.riskIncidents
    expect(incidents.totalCount).toBeGreaterThan(0)
    const list = await settled(key, incidentsHook.id, incidents.totalCount)
    expect(list.every((d) => d.eventType === 'RISK_INCIDENT_CREATED' && d.status === 'DELIVERED')).toBe(true)
    expect(list.map((d) => d.payload.data.riskIncident.id).sort()).toEqual(incidents.edges.map((e: any) => e.node.id).sort())
    expect(list[0]!.payload.data.riskIncident).toMatchObject({ status: 'NEW', incidentRule: { id: rule.data.setRiskIncidentRule.id, name: 'any risk', kind: 'SCORE_THRESHOLD' } })
    for (const req of receiver.at('/incidents')) expect(verifyWatchpostSignature(req, incidentsHook.secret)).toBe(true)
    const detectionsOnly = await settled(key, detectionsHook.id, 4)
    expect(detectionsOnly.every((d) => d.eventType === 'DETECTION_CREATED')).toBe(true)
  })

  it('retries a receiver that fails twice, then succeeds: 3 attempts in the history, the same ids each time', async () => {
    const key = await tenantWithRule('flaky')
    receiver.respond('/flaky', (_req, n) => (n <= 2 ? { status: 500, body: 'try again' } : { status: 204 }))
    const hook = await createWebhook(key, '/flaky', ['DETECTION_CREATED'])
    await upload(key)
    const list = await settled(key, hook.id, 4)
    expect(list.map((d) => [d.status, d.attempts, d.lastStatusCode, d.lastError])).toEqual(Array.from({ length: 4 }, () => ['DELIVERED', 3, 204, null]))
    const got = receiver.at('/flaky')
    expect(got).toHaveLength(12)
    for (const d of list) {
      const tries = got.filter((r) => r.headers['watchpost-delivery-id'] === d.id)
      expect(tries).toHaveLength(3)
      expect(new Set(tries.map((r) => r.headers['watchpost-event-id']))).toEqual(new Set([d.eventId]))
      expect(tries.every((r) => verifyWatchpostSignature(r, hook.secret))).toBe(true)
      // Exponential backoff: the second wait is longer than the first (50 ms, then 100 ms).
      const [a, b, c] = tries.map((r) => r.receivedAt) as [number, number, number]
      expect(b - a).toBeGreaterThanOrEqual(40)
      expect(c - b).toBeGreaterThanOrEqual(90)
    }
  })

  it('ends FAILED with the reason after the last attempt, and a redelivery sends the same event again', async () => {
    const key = await tenantWithRule('down')
    let down = true
    receiver.respond('/down', () => (down ? { status: 503, body: 'down for maintenance' } : { status: 200 }))
    const hook = await createWebhook(key, '/down', ['DETECTION_CREATED'])
    await upload(key)
    const list = await settled(key, hook.id, 4)
    for (const d of list) {
      expect(d).toMatchObject({ status: 'FAILED', attempts: MAX_ATTEMPTS, lastStatusCode: 503, nextAttemptAt: null })
      expect(d.lastError).toBe(`HTTP 503: down for maintenance (gave up after ${MAX_ATTEMPTS} attempts)`)
    }
    expect(receiver.at('/down')).toHaveLength(4 * MAX_ATTEMPTS)
    expect(await deliveries(key, hook.id, 'FAILED')).toHaveLength(4)
    expect(await deliveries(key, hook.id, 'DELIVERED')).toHaveLength(0)

    down = false
    const failed = list[0]!
    const res = await graphql<any>(svc.url, key, `mutation ($id: ID!) { redeliverWebhookDelivery(id: $id) { ${DELIVERY_FIELDS} } }`, { id: failed.id })
    expect(res.errors).toBeUndefined()
    const again = res.data.redeliverWebhookDelivery as Delivery
    expect(again).toMatchObject({ status: 'PENDING', attempts: 0, eventId: failed.eventId, redeliveryOf: failed.id, payload: failed.payload })
    const done = await waitFor(async () => (await deliveries(key, hook.id)).find((d) => d.id === again.id && d.status === 'DELIVERED'), 10_000, 'the redelivery')
    expect(done.attempts).toBe(1)
    const last = receiver.at('/down').at(-1)!
    expect(last.headers['watchpost-delivery-id']).toBe(again.id)
    expect(last.headers['watchpost-event-id']).toBe(failed.eventId)
    expect(verifyWatchpostSignature(last, hook.secret)).toBe(true)
  })

  it('gives up on an answer slower than WEBHOOK_TIMEOUT_MS and tries again; a pending delivery cannot be redelivered', async () => {
    const key = await tenantWithRule('slow')
    receiver.respond('/slow', (_req, n) => (n === 1 ? { status: 200, delayMs: 3_000 } : { status: 200 }))
    const hook = await createWebhook(key, '/slow', ['DETECTION_CREATED'])
    const sent = await uploadMultipart(svc.url, key, 'ngrok.xml', SYSMON)
    await waitFor(async () => (receiver.at('/slow').length > 0 ? true : undefined), 20_000, 'the first attempt')
    const [pending] = await deliveries(key, hook.id, 'PENDING')
    const refused = await graphql<any>(svc.url, key, 'mutation ($id: ID!) { redeliverWebhookDelivery(id: $id) { id } }', { id: pending!.id })
    expect(refused.errors?.[0]?.extensions).toMatchObject({ code: 'CONFLICT', field: 'id' })
    expect(refused.errors?.[0]?.message).toMatch(/still pending/)
    await waitForUpload(svc.url, key, sent.data!.uploadLogs.id)
    const list = await settled(key, hook.id, 4)
    expect(list.every((d) => d.status === 'DELIVERED' && d.attempts === 2)).toBe(true)
    expect(receiver.at('/slow')).toHaveLength(8)
  })

  it('does not follow redirects, and sends nothing to a disabled webhook', async () => {
    const key = await tenantWithRule('redirects')
    receiver.respond('/moved', () => ({ status: 302, headers: { location: `${receiver.url}/elsewhere` } }))
    const hook = await createWebhook(key, '/moved', ['DETECTION_CREATED'])
    const ping = await graphql<any>(svc.url, key, `mutation ($id: ID!) { testWebhook(id: $id) { ${DELIVERY_FIELDS} } }`, { id: hook.id })
    expect(ping.data.testWebhook).toMatchObject({ eventType: 'PING', status: 'FAILED', attempts: 1, lastStatusCode: 302 })
    expect(ping.data.testWebhook.lastError).toBe(`HTTP 302: redirects are not followed (redirect to ${receiver.url}/elsewhere)`)
    expect(receiver.at('/elsewhere')).toHaveLength(0)

    const off = await graphql(svc.url, key, 'mutation ($id: ID!) { updateWebhook(id: $id, input: { enabled: false }) { id } }', { id: hook.id })
    expect(off.errors).toBeUndefined()
    const before = receiver.requests.length
    await upload(key)
    expect(await deliveries(key, hook.id)).toHaveLength(1) // the PING only
    expect(receiver.requests.length).toBe(before)
  })

  it('delivers what no completed job announced (the outbox relay’s interval) and what Redis lost (the reconciler)', async () => {
    const tenant = await createTestTenant(svc.databaseUrl, 'recovered')
    const hook = await createWebhook(tenant.apiKey, '/recovered', ['DETECTION_CREATED'])
    const admin = new pg.Pool({ connectionString: svc.databaseUrl, max: 1 })
    const queue = createWebhookQueue(TEST_REDIS_URL, svc.queuePrefix)
    try {
      const insert = async (enqueued: boolean): Promise<string> =>
        (
          await admin.query<{ id: string }>(
            `INSERT INTO webhook_deliveries (tenant_id, webhook_id, event_id, event_type, payload, enqueued_at)
             VALUES ($1, $2, gen_random_uuid(), 'DETECTION_CREATED', '{"type":"DETECTION_CREATED"}', CASE WHEN $3 THEN now() END) RETURNING id`,
            [tenant.tenant.id, hook.id, enqueued],
          )
        ).rows[0]!.id
      // Written by a job whose worker died before announcing it: the relay's next pass finds it.
      const unannounced = await insert(false)
      const first = await settled(tenant.apiKey, hook.id, 1)
      expect(first[0]).toMatchObject({ id: unannounced, status: 'DELIVERED' })
      expect((await admin.query('SELECT 1 FROM webhook_deliveries WHERE id = $1 AND enqueued_at IS NOT NULL', [unannounced])).rowCount).toBe(1)
      // Enqueued once, then lost with Redis: the reconciler gives it its job back.
      const lost = await insert(true)
      expect(await queue.getJobState(lost)).toBe('unknown')
      const report = await reconcileOnce([unfinishedWebhookDeliveries(admin, queue)], [])
      expect(report.work).toEqual([{ kind: 'webhook delivery', unfinished: 1, enqueued: 1, rerun: 0, failuresRecorded: 0 }])
      const both = await settled(tenant.apiKey, hook.id, 2)
      expect(both.every((d) => d.status === 'DELIVERED')).toBe(true)
      expect(receiver.at('/recovered').map((r) => r.headers['watchpost-delivery-id']).sort()).toEqual([unannounced, lost].sort())
      // A delivery done is no longer unfinished.
      expect((await reconcileOnce([unfinishedWebhookDeliveries(admin, queue)], [])).work[0]).toMatchObject({ unfinished: 0, enqueued: 0 })
    } finally {
      await queue.close()
      await admin.end()
    }
  })
})
