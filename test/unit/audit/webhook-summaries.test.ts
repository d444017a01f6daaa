import { describe, expect, it } from 'vitest'
import { auditEvent } from '../../../src/audit/audit-event.js'

// Webhook mutations in the audit log: the webhook's id, name, events and only the origin of its
// URL — the path and query of many webhook URLs are a credential (Slack, Teams) — never the secret
// createWebhook and rotateWebhookSecret return, never a payload.

const ACTOR = { tenantId: null, keyId: null, role: 'admin' } as const
const URL_WITH_TOKEN = 'https://hooks.slack.com:8443/services/T000/B000/XXXXSECRETTOKEN?key=SECRETQUERY'
const RESULT = { webhook: { id: 'w1', url: URL_WITH_TOKEN }, secret: 'whsec_SECRETSECRETSECRET' }

describe('webhook audit summaries', () => {
  it('keep the origin of the URL and drop the secret', () => {
    const input = { name: 'slack', url: URL_WITH_TOKEN, events: ['DETECTION_CREATED'], enabled: true }
    const created = auditEvent(ACTOR, 'createWebhook', { input }, RESULT, 'SUCCESS')
    expect(created.summary).toEqual({ id: 'w1', name: 'slack', urlOrigin: 'https://hooks.slack.com:8443', events: ['DETECTION_CREATED'], enabled: true })
    const updated = auditEvent(ACTOR, 'updateWebhook', { id: 'w1', input: { url: URL_WITH_TOKEN } }, RESULT.webhook, 'SUCCESS')
    expect(updated.summary).toEqual({ id: 'w1', urlOrigin: 'https://hooks.slack.com:8443' })
    const rotated = auditEvent(ACTOR, 'rotateWebhookSecret', { id: 'w1', previousSecretValidHours: 24 }, RESULT, 'SUCCESS')
    expect(rotated.summary).toEqual({ id: 'w1', previousSecretValidHours: 24 })
    for (const event of [created, updated, rotated]) expect(JSON.stringify(event)).not.toMatch(/SECRET|services/)
  })

  it('keep a delivery’s id and outcome, never its payload', () => {
    const delivery = { id: 'd1', status: 'FAILED', lastStatusCode: 500, payload: { data: { detection: { fields: { user: 'SECRETUSER' } } } } }
    expect(auditEvent(ACTOR, 'testWebhook', { id: 'w1' }, delivery, 'SUCCESS').summary).toEqual({ id: 'w1', deliveryId: 'd1', status: 'FAILED', statusCode: 500 })
    const again = auditEvent(ACTOR, 'redeliverWebhookDelivery', { id: 'd0' }, delivery, 'SUCCESS')
    expect(again.summary).toEqual({ id: 'd0', deliveryId: 'd1' })
    expect(JSON.stringify(again)).not.toContain('SECRETUSER')
  })
})
