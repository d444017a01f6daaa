import { createHmac } from 'node:crypto'

/**
 * How a delivery proves it comes from Watchpost, as Stripe and GitHub do it: an HMAC-SHA256, keyed
 * with the webhook's secret, over `<timestamp>.<body>` — the timestamp (Unix seconds, also sent as
 * a header) is signed so that a captured request cannot be replayed later with a new one. While a
 * rotated secret is still valid, the body is signed with both and the header lists both signatures;
 * a receiver accepts the request when any of them matches the secret it holds.
 */

export const WEBHOOK_HEADERS = {
  eventType: 'Watchpost-Event-Type',
  eventId: 'Watchpost-Event-Id',
  deliveryId: 'Watchpost-Delivery-Id',
  timestamp: 'Watchpost-Timestamp',
  signature: 'Watchpost-Signature',
} as const

/** The hex HMAC-SHA256 of `<timestamp>.<body>` with `secret`. */
export function signWebhookBody(secret: string, timestamp: number, body: string): string {
  return createHmac('sha256', secret).update(`${timestamp}.${body}`, 'utf8').digest('hex')
}

/** `v1=<hex>` for each secret, current first: the value of the signature header. */
export function signatureHeader(secrets: readonly string[], timestamp: number, body: string): string {
  return secrets.map((s) => `v1=${signWebhookBody(s, timestamp, body)}`).join(',')
}
