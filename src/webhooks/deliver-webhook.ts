import type pg from 'pg'
import type { Config } from '../config.js'
import { failDelivery, findDelivery, recordAttempt, type DeliveryStatus } from '../store/webhook-deliveries.js'
import { webhookForSending } from '../store/webhooks.js'
import { retryDelayMs } from './retry-delay.js'
import { sendWebhook, storableText, type SendResult } from './send-webhook.js'
import { signatureHeader, WEBHOOK_HEADERS } from './signature.js'
import { openWebhookSecret } from './webhook-secret.js'

/**
 * One attempt at a PENDING delivery: sign the stored body with the webhook's secret(s) now, POST
 * it, and record the attempt — DELIVERED on a 2xx; otherwise PENDING again with the time of the
 * next attempt (exponential backoff), or FAILED with the reason once the attempts are spent or when
 * retrying cannot help (a destination refused by policy, a secret that cannot be read). Used by
 * the delivery worker and, for testWebhook's PING, by the API. Runs in the caller's tenant scope.
 */

export interface DeliverySettings {
  maxAttempts: number
  backoffMs: number
  timeoutMs: number
  allowPrivateDestinations: boolean
  /** WEBHOOK_SECRET_KEY, when secrets are stored sealed. */
  secretKey: Buffer | null
}

export function deliverySettings(config: Config): DeliverySettings {
  return {
    maxAttempts: config.webhookMaxAttempts,
    backoffMs: config.webhookBackoffMs,
    timeoutMs: config.webhookTimeoutMs,
    allowPrivateDestinations: config.webhookAllowPrivateDestinations,
    secretKey: config.webhookSecretKey,
  }
}

export type AttemptOutcome =
  | { status: Exclude<DeliveryStatus, 'PENDING'>; attempts: number; error: string | null }
  | { status: 'PENDING'; attempts: number; error: string; nextAttemptAt: Date }
  /** Not pending (already ended, deleted with its webhook): nothing was sent. */
  | { status: 'SKIPPED' }
  /** Cut short by `signal` (the worker stopping): nothing recorded, the attempt is not spent. */
  | { status: 'INTERRUPTED' }

export const USER_AGENT = 'Watchpost-Webhooks/1'

export async function attemptDelivery(pool: pg.Pool, settings: DeliverySettings, tenantId: string, deliveryId: string, signal?: AbortSignal): Promise<AttemptOutcome> {
  const delivery = await findDelivery(pool, tenantId, deliveryId)
  if (!delivery || delivery.status !== 'PENDING') return { status: 'SKIPPED' }
  const webhook = await webhookForSending(pool, tenantId, delivery.webhookId)
  if (!webhook) return { status: 'SKIPPED' }
  // A PING is how an admin checks a webhook before enabling it; events wait for nobody.
  if (!webhook.enabled && delivery.eventType !== 'PING') {
    const reason = 'the webhook was disabled before this delivery succeeded; redeliver it once the webhook is enabled again'
    await failDelivery(pool, tenantId, deliveryId, reason)
    return { status: 'FAILED', attempts: delivery.attempts, error: reason }
  }
  const attempt = delivery.attempts + 1
  const at = new Date()
  let result: SendResult
  try {
    const secrets = [webhook.sealedSecret, ...(webhook.sealedPreviousSecret === null ? [] : [webhook.sealedPreviousSecret])].map((s) => openWebhookSecret(s, settings.secretKey))
    // Postgres writes JSON with spaces around every colon; receivers get it compact (same keys, same order).
    const body = JSON.stringify(JSON.parse(delivery.body))
    const timestamp = Math.floor(at.getTime() / 1000)
    const headers = {
      'content-type': 'application/json',
      'user-agent': USER_AGENT,
      [WEBHOOK_HEADERS.eventType]: delivery.eventType,
      [WEBHOOK_HEADERS.eventId]: delivery.eventId,
      [WEBHOOK_HEADERS.deliveryId]: delivery.id,
      [WEBHOOK_HEADERS.timestamp]: String(timestamp),
      [WEBHOOK_HEADERS.signature]: signatureHeader(secrets, timestamp, body),
    }
    result = await sendWebhook(webhook.url, body, headers, { timeoutMs: settings.timeoutMs, allowPrivateDestinations: settings.allowPrivateDestinations, signal })
  } catch (err) {
    result = { ok: false, statusCode: null, error: (err as Error).message, refused: true, durationMs: 0 }
  }
  if (!result.ok && signal?.aborted) return { status: 'INTERRUPTED' }
  const final = result.ok || result.refused || attempt >= settings.maxAttempts
  const status: DeliveryStatus = result.ok ? 'DELIVERED' : final ? 'FAILED' : 'PENDING'
  const nextAttemptAt = status === 'PENDING' ? new Date(Date.now() + retryDelayMs(attempt, settings.backoffMs)) : null
  const gaveUp = final && !result.ok && !result.refused && attempt > 1 ? ` (gave up after ${attempt} attempts)` : ''
  const error = result.error === null ? null : storableText(`${result.error}${gaveUp}`, 1000)
  const recorded = await recordAttempt(pool, tenantId, deliveryId, { status, at, statusCode: result.statusCode, error, durationMs: result.durationMs, nextAttemptAt })
  if (!recorded) return { status: 'SKIPPED' }
  if (status === 'PENDING') return { status, attempts: attempt, error: error!, nextAttemptAt: nextAttemptAt! }
  return { status, attempts: attempt, error }
}
