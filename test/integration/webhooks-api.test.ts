import { randomBytes } from 'node:crypto'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { MAX_WEBHOOKS_PER_TENANT } from '../../src/store/webhooks.js'
import { readFixture, SEED_RULE_YAML } from '../helpers/fixtures.js'
import { createTestTenant } from '../helpers/tenant.js'
import { graphql, startTestService, waitFor, type TestService } from '../helpers/test-service.js'
import { uploadMultipart, waitForUpload } from '../helpers/uploads.js'
import { startWebhookReceiver, verifyWatchpostSignature, type WebhookReceiver } from '../helpers/webhook-receiver.js'

// The webhook API: the secret shown once and stored encrypted, rotation (at once, or with the
// previous secret still signing), input checks, permissions, tenant isolation, the audit log — and,
// on a service with the default settings, the refusal of private destinations (SSRF), both when
// a URL is set and when a delivery is sent.

const WEBHOOK = 'id name url events enabled secretCreatedAt previousSecretExpiresAt createdAt updatedAt'
const DELIVERY = 'id eventType status attempts lastStatusCode lastError payload'

let receiver: WebhookReceiver

beforeAll(async () => {
  receiver = await startWebhookReceiver()
})
afterAll(async () => {
  await receiver?.close()
})

describe('the webhook API', () => {
  let svc: TestService
  let admin: pg.Pool
  let a: { id: string; key: string }
  let b: { id: string; key: string }

  beforeAll(async () => {
    svc = await startTestService({
      env: { WEBHOOK_ALLOW_PRIVATE_DESTINATIONS: 'true', WEBHOOK_SECRET_KEY: randomBytes(32).toString('base64'), WEBHOOK_BACKOFF_MS: '50', WEBHOOK_MAX_ATTEMPTS: '2' },
    })
    admin = new pg.Pool({ connectionString: svc.databaseUrl, max: 2 })
    const ta = await createTestTenant(svc.databaseUrl, 'hooks-a')
    const tb = await createTestTenant(svc.databaseUrl, 'hooks-b')
    a = { id: ta.tenant.id, key: ta.apiKey }
    b = { id: tb.tenant.id, key: tb.apiKey }
  })
  afterAll(async () => {
    await admin?.end()
    await svc?.close()
  })

  const asA = <T = any>(q: string, v?: Record<string, unknown>) => graphql<T>(svc.url, a.key, q, v)
  async function create(key: string, input: Record<string, unknown>) {
    return graphql<any>(svc.url, key, `mutation ($i: CreateWebhookInput!) { createWebhook(input: $i) { webhook { ${WEBHOOK} } secret } }`, { i: input })
  }
  const ping = async (id: string) => (await asA(`mutation ($id: ID!) { testWebhook(id: $id) { ${DELIVERY} } }`, { id })).data.testWebhook

  it('shows the secret once, stores it encrypted, never returns it again, and signs with it', async () => {
    const res = await create(a.key, { name: 'siem', url: `${receiver.url}/secret/T0KEN-in-path?sig=abc`, events: ['DETECTION_CREATED', 'RISK_INCIDENT_CREATED'] })
    expect(res.errors).toBeUndefined()
    const { webhook, secret } = res.data.createWebhook
    expect(secret).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/)
    expect(webhook).toMatchObject({ name: 'siem', events: ['DETECTION_CREATED', 'RISK_INCIDENT_CREATED'], enabled: true, previousSecretExpiresAt: null })

    const listed = await asA(`{ webhooks { ${WEBHOOK} } }`)
    expect(listed.data.webhooks).toEqual([webhook])
    expect(JSON.stringify(listed)).not.toContain(secret)
    const asked = await asA('{ webhooks { secret } }')
    expect(asked.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED')

    const stored = (await admin.query<{ secret: string }>('SELECT secret FROM webhooks WHERE id = $1', [webhook.id])).rows[0]!.secret
    expect(stored).toMatch(/^aes-256-gcm:/)
    expect(stored).not.toContain(secret.slice(6))

    const delivery = await ping(webhook.id)
    expect(delivery).toMatchObject({ eventType: 'PING', status: 'DELIVERED', attempts: 1, lastStatusCode: 200, lastError: null })
    expect(delivery.payload).toMatchObject({ type: 'PING', tenant: { id: a.id, name: 'hooks-a' }, data: { webhook: { id: webhook.id, name: 'siem', events: ['DETECTION_CREATED', 'RISK_INCIDENT_CREATED'] } } })
    const req = receiver.at('/secret/T0KEN-in-path?sig=abc').at(-1)!
    expect(req.headers['watchpost-delivery-id']).toBe(delivery.id)
    expect(verifyWatchpostSignature(req, secret)).toBe(true)

    // The audit log keeps the webhook's id, name and the URL's origin: never the secret, the URL's path or query.
    const audit = await waitFor(async () => {
      const log = await asA('{ auditLog(first: 50) { edges { node { operation summary } } } }')
      const nodes = log.data.auditLog.edges.map((e: any) => e.node)
      return nodes.some((n: any) => n.operation === 'testWebhook') ? nodes : undefined
    }, 5_000, 'the audit records')
    expect(audit.find((n: any) => n.operation === 'createWebhook').summary).toEqual({ id: webhook.id, name: 'siem', urlOrigin: receiver.url, events: ['DETECTION_CREATED', 'RISK_INCIDENT_CREATED'] })
    expect(audit.find((n: any) => n.operation === 'testWebhook').summary).toEqual({ id: webhook.id, deliveryId: delivery.id, status: 'DELIVERED', statusCode: 200 })
    const json = JSON.stringify(audit)
    expect(json).not.toContain(secret)
    expect(json).not.toContain('T0KEN')
    expect(json).not.toContain('"PING"')
  })

  it('rotates the secret: at once, or keeping the previous one signing for a while', async () => {
    const { webhook, secret: first } = (await create(a.key, { name: 'rotated', url: `${receiver.url}/rotated`, events: ['DETECTION_CREATED'] })).data.createWebhook
    const rotate = (hours?: number) =>
      asA(`mutation ($id: ID!, $h: Int) { rotateWebhookSecret(id: $id, previousSecretValidHours: $h) { webhook { ${WEBHOOK} } secret } }`, { id: webhook.id, h: hours ?? null })

    const once = (await rotate()).data.rotateWebhookSecret
    expect(once.secret).toMatch(/^whsec_/)
    expect(once.secret).not.toBe(first)
    expect(once.webhook.previousSecretExpiresAt).toBeNull()
    expect(Date.parse(once.webhook.secretCreatedAt)).toBeGreaterThanOrEqual(Date.parse(webhook.secretCreatedAt))
    await ping(webhook.id)
    let req = receiver.at('/rotated').at(-1)!
    expect(verifyWatchpostSignature(req, once.secret)).toBe(true)
    expect(verifyWatchpostSignature(req, first)).toBe(false)
    expect(String(req.headers['watchpost-signature']).split(',')).toHaveLength(1)

    const kept = (await rotate(1)).data.rotateWebhookSecret
    const expires = Date.parse(kept.webhook.previousSecretExpiresAt)
    expect(Math.abs(expires - Date.now() - 3_600_000)).toBeLessThan(60_000)
    await ping(webhook.id)
    req = receiver.at('/rotated').at(-1)!
    expect(String(req.headers['watchpost-signature']).split(',')).toHaveLength(2)
    expect(verifyWatchpostSignature(req, kept.secret)).toBe(true)
    expect(verifyWatchpostSignature(req, once.secret)).toBe(true)
    expect(verifyWatchpostSignature(req, first)).toBe(false)

    const bad = await rotate(169)
    expect(bad.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'previousSecretValidHours' })
  })

  it('refuses bad input with the field named', async () => {
    const url = `${receiver.url}/input`
    const cases: [Record<string, unknown>, string, string, RegExp][] = [
      [{ name: ' ', url, events: ['DETECTION_CREATED'] }, 'BAD_USER_INPUT', 'name', /1-100 characters/],
      [{ name: 'x', url, events: [] }, 'BAD_USER_INPUT', 'events', /at least one of DETECTION_CREATED/],
      [{ name: 'x', url, events: ['PING'] }, 'BAD_USER_INPUT', 'events', /PING is sent by testWebhook only/],
      [{ name: 'x', url: 'ftp://files.example.com/in', events: ['DETECTION_CREATED'] }, 'BAD_USER_INPUT', 'url', /scheme must be https or http, not ftp/],
      [{ name: 'x', url: 'https://user:pw@hooks.example.com/', events: ['DETECTION_CREATED'] }, 'BAD_USER_INPUT', 'url', /user name or password/],
      [{ name: 'x', url: 'https://hooks.example.com/#frag', events: ['DETECTION_CREATED'] }, 'BAD_USER_INPUT', 'url', /fragment/],
      [{ name: 'x', url: 'hooks.example.com/in', events: ['DETECTION_CREATED'] }, 'BAD_USER_INPUT', 'url', /not an absolute URL/],
      [{ name: 'x', url: `https://hooks.example.com/${'a'.repeat(2048)}`, events: ['DETECTION_CREATED'] }, 'BAD_USER_INPUT', 'url', /1-2048 characters/],
    ]
    for (const [input, code, field, message] of cases) {
      const res = await create(a.key, input)
      expect(res.errors?.[0]?.extensions, JSON.stringify(input).slice(0, 100)).toMatchObject({ code, field })
      expect(res.errors?.[0]?.message).toMatch(message)
    }
    expect((await create(a.key, { name: 'dup', url, events: ['DETECTION_CREATED'] })).errors).toBeUndefined()
    const dup = await create(a.key, { name: 'dup', url, events: ['DETECTION_CREATED'] })
    expect(dup.errors?.[0]?.extensions).toMatchObject({ code: 'CONFLICT', field: 'name' })
    const nowhere = await asA('mutation { updateWebhook(id: "00000000-0000-4000-8000-000000000009", input: { enabled: false }) { id } }')
    expect(nowhere.errors?.[0]?.extensions?.code).toBe('NOT_FOUND')
  })

  it('updates what is given, deletes a webhook with its history, and caps webhooks per tenant', async () => {
    const { webhook } = (await create(b.key, { name: 'to-change', url: `${receiver.url}/change`, events: ['DETECTION_CREATED'] })).data.createWebhook
    const changed = await graphql<any>(svc.url, b.key, `mutation ($id: ID!) { updateWebhook(id: $id, input: { name: "changed", events: [RISK_INCIDENT_CREATED, DETECTION_REOPENED] }) { ${WEBHOOK} } }`, { id: webhook.id })
    expect(changed.data.updateWebhook).toMatchObject({ name: 'changed', url: `${receiver.url}/change`, events: ['RISK_INCIDENT_CREATED', 'DETECTION_REOPENED'], enabled: true })
    await graphql(svc.url, b.key, `mutation ($id: ID!) { testWebhook(id: $id) { id } }`, { id: webhook.id })
    const deleted = await graphql<any>(svc.url, b.key, 'mutation ($id: ID!) { deleteWebhook(id: $id) }', { id: webhook.id })
    expect(deleted.data.deleteWebhook).toBe(webhook.id)
    const history = await graphql<any>(svc.url, b.key, 'query ($id: ID!) { webhookDeliveries(webhookId: $id) { totalCount } }', { id: webhook.id })
    expect(history.errors?.[0]?.extensions?.code).toBe('NOT_FOUND')
    expect((await admin.query('SELECT 1 FROM webhook_deliveries WHERE webhook_id = $1', [webhook.id])).rowCount).toBe(0)

    const tenant = await createTestTenant(svc.databaseUrl, 'hooks-many')
    for (let i = 0; i < MAX_WEBHOOKS_PER_TENANT; i++) expect((await create(tenant.apiKey, { name: `h${i}`, url: `${receiver.url}/many`, events: ['DETECTION_CREATED'] })).errors).toBeUndefined()
    const over = await create(tenant.apiKey, { name: 'one too many', url: `${receiver.url}/many`, events: ['DETECTION_CREATED'] })
    expect(over.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT')
    expect(over.errors?.[0]?.message).toMatch(`at most ${MAX_WEBHOOKS_PER_TENANT} webhooks`)
  })

  it('is for admin keys only', async () => {
    for (const role of ['analyst', 'reader', 'ingest']) {
      const key = (await asA(`mutation { createApiKey(name: "${role}", role: ${role}) { key } }`)).data.createApiKey.key
      const list = await graphql(svc.url, key, '{ webhooks { id } }')
      expect(list.errors?.[0]?.extensions?.code, role).toBe('FORBIDDEN')
      const made = await create(key, { name: role, url: `${receiver.url}/x`, events: ['DETECTION_CREATED'] })
      expect(made.errors?.[0]?.extensions?.code, role).toBe('FORBIDDEN')
    }
  })

  it('keeps tenants apart: another tenant’s uploads never reach a webhook, its webhooks are not listed', async () => {
    const { webhook } = (await create(a.key, { name: 'a-only', url: `${receiver.url}/a-only`, events: ['DETECTION_CREATED'] })).data.createWebhook
    await graphql(svc.url, b.key, 'mutation ($y: String!) { importRules(yaml: $y) { rules { id } } }', { y: SEED_RULE_YAML })
    const sent = await uploadMultipart(svc.url, b.key, 'ngrok.xml', readFixture('logs/sysmon/ngrok-synthetic.xml'))
    await waitForUpload(svc.url, b.key, sent.data!.uploadLogs.id)
    expect((await graphql<any>(svc.url, b.key, '{ detections { totalCount } }')).data.detections.totalCount).toBe(4)
    const history = await asA('query ($id: ID!) { webhookDeliveries(webhookId: $id) { totalCount } }', { id: webhook.id })
    expect(history.data.webhookDeliveries.totalCount).toBe(0)
    expect(receiver.at('/a-only')).toHaveLength(0)
    const bList = (await graphql<any>(svc.url, b.key, '{ webhooks { id } }')).data.webhooks.map((w: any) => w.id)
    expect(bList).not.toContain(webhook.id)
    const bSees = await graphql<any>(svc.url, b.key, 'query ($id: ID!) { webhookDeliveries(webhookId: $id) { totalCount } }', { id: webhook.id })
    expect(bSees.errors?.[0]?.extensions?.code).toBe('NOT_FOUND')
  })
})

describe('private destinations (SSRF), with the default settings', () => {
  let svc: TestService
  let admin: pg.Pool
  let key: string
  let tenantId: string

  beforeAll(async () => {
    svc = await startTestService({ env: { WEBHOOK_BACKOFF_MS: '50' } })
    admin = new pg.Pool({ connectionString: svc.databaseUrl, max: 2 })
    const t = await createTestTenant(svc.databaseUrl, 'ssrf')
    key = t.apiKey
    tenantId = t.tenant.id
  })
  afterAll(async () => {
    await admin?.end()
    await svc?.close()
  })

  it('refuses URLs naming loopback, private, link-local and other non-public addresses', async () => {
    const cases: [string, RegExp][] = [
      [`${receiver.url}/x`, /127\.0\.0\.1 is a loopback address; webhooks may only reach public addresses/],
      ['http://169.254.169.254/latest/meta-data/', /169\.254\.169\.254 is a link-local address/],
      ['https://10.1.2.3/hook', /10\.1\.2\.3 is a private address/],
      ['https://192.168.1.20/hook', /is a private address/],
      ['https://100.64.0.1/hook', /carrier-grade NAT/],
      ['http://[::1]:8080/hook', /::1 is a loopback address/],
      ['http://[::ffff:127.0.0.1]/hook', /is a loopback address/],
      ['http://[fd00::1]/hook', /unique local/],
      ['http://0x7f.1/hook', /127\.0\.0\.1 is a loopback address/],
      ['http://localhost:4000/hook', /localhost is a loopback name/],
      ['http://0.0.0.0:4000/hook', /"this network"/],
    ]
    for (const [url, message] of cases) {
      const res = await graphql<any>(svc.url, key, 'mutation ($i: CreateWebhookInput!) { createWebhook(input: $i) { webhook { id } } }', { i: { name: 'x', url, events: ['DETECTION_CREATED'] } })
      expect(res.errors?.[0]?.extensions, url).toMatchObject({ code: 'BAD_USER_INPUT', field: 'url' })
      expect(res.errors?.[0]?.message, url).toMatch(message)
    }
    const ok = await graphql<any>(svc.url, key, 'mutation { createWebhook(input: { name: "public", url: "https://hooks.example.invalid/in", events: [DETECTION_CREATED] }) { webhook { id } } }')
    expect(ok.errors).toBeUndefined()
    const moved = await graphql<any>(svc.url, key, `mutation ($id: ID!, $u: String!) { updateWebhook(id: $id, input: { url: $u }) { id } }`, { id: ok.data.createWebhook.webhook.id, u: 'http://127.0.0.2/' })
    expect(moved.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'url' })
  })

  it('refuses at delivery time too, without retrying: a webhook stored with a private address sends nothing', async () => {
    // As if created while the deployment allowed private destinations.
    const { rows } = await admin.query<{ id: string }>(
      `INSERT INTO webhooks (tenant_id, name, url, events, secret) VALUES ($1, 'inside', $2, '{DETECTION_CREATED}', 'plain:whsec_test') RETURNING id`,
      [tenantId, `${receiver.url}/inside`],
    )
    const webhookId = rows[0]!.id
    const res = await graphql<any>(svc.url, key, `mutation ($id: ID!) { testWebhook(id: $id) { ${DELIVERY} } }`, { id: webhookId })
    expect(res.data.testWebhook).toMatchObject({ status: 'FAILED', attempts: 1, lastStatusCode: null })
    expect(res.data.testWebhook.lastError).toBe('127.0.0.1 is a loopback address; webhooks may only reach public addresses')

    await graphql(svc.url, key, 'mutation ($y: String!) { importRules(yaml: $y) { rules { id } } }', { y: SEED_RULE_YAML })
    const sent = await uploadMultipart(svc.url, key, 'ngrok.xml', readFixture('logs/sysmon/ngrok-synthetic.xml'))
    await waitForUpload(svc.url, key, sent.data!.uploadLogs.id)
    const failed = await waitFor(async () => {
      const page = await graphql<any>(svc.url, key, `query ($id: ID!) { webhookDeliveries(webhookId: $id, status: FAILED) { edges { node { ${DELIVERY} } } } }`, { id: webhookId })
      const nodes = page.data.webhookDeliveries.edges.map((e: any) => e.node).filter((d: any) => d.eventType === 'DETECTION_CREATED')
      return nodes.length === 4 ? nodes : undefined
    }, 20_000, 'the refused deliveries')
    expect(failed.every((d: any) => d.attempts === 1 && /loopback/.test(d.lastError))).toBe(true)
    expect(receiver.at('/inside')).toHaveLength(0)
  })
})
