import { createHmac, randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { retryDelayMs } from '../../../src/webhooks/retry-delay.js'
import { signatureHeader, signWebhookBody } from '../../../src/webhooks/signature.js'
import { generateWebhookSecret, openWebhookSecret, sealWebhookSecret } from '../../../src/webhooks/webhook-secret.js'

describe('signatures', () => {
  it('are the hex HMAC-SHA256 of "<timestamp>.<body>" with the secret', () => {
    const body = '{"id":"e1","type":"PING"}'
    expect(signWebhookBody('whsec_test', 1764547200, body)).toBe(createHmac('sha256', 'whsec_test').update(`1764547200.${body}`).digest('hex'))
    // A fixed vector: a receiver's implementation can be checked against it.
    expect(signWebhookBody('whsec_test', 1764547200, body)).toBe('8b8591e938d3a8d28c48fb06c2d68d253cde5229d533f41a09ecfdc6205b43b2')
  })

  it('list one v1= signature per secret, the current one first', () => {
    const header = signatureHeader(['whsec_new', 'whsec_old'], 1, 'b')
    expect(header).toBe(`v1=${signWebhookBody('whsec_new', 1, 'b')},v1=${signWebhookBody('whsec_old', 1, 'b')}`)
  })

  it('change with the timestamp, so a captured request cannot be replayed with a fresh one', () => {
    expect(signWebhookBody('s', 1, 'b')).not.toBe(signWebhookBody('s', 2, 'b'))
  })
})

describe('secrets', () => {
  it('are whsec_ and 256 random bits, never twice the same', () => {
    const a = generateWebhookSecret()
    expect(a).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/)
    expect(generateWebhookSecret()).not.toBe(a)
  })

  it('are sealed with AES-256-GCM when a key is set, and read back', () => {
    const key = randomBytes(32)
    const secret = generateWebhookSecret()
    const sealed = sealWebhookSecret(secret, key)
    expect(sealed).toMatch(/^aes-256-gcm:/)
    expect(sealed).not.toContain(secret.slice(6))
    expect(sealWebhookSecret(secret, key)).not.toBe(sealed) // a fresh nonce each time
    expect(openWebhookSecret(sealed, key)).toBe(secret)
  })

  it('are stored as they are without a key, and read back whatever the key is now', () => {
    const plain = sealWebhookSecret('whsec_x', null)
    expect(plain).toBe('plain:whsec_x')
    expect(openWebhookSecret(plain, randomBytes(32))).toBe('whsec_x')
  })

  it('say why a sealed secret cannot be read', () => {
    const sealed = sealWebhookSecret('whsec_x', randomBytes(32))
    expect(() => openWebhookSecret(sealed, null)).toThrow('the webhook secret is encrypted but WEBHOOK_SECRET_KEY is not set')
    expect(() => openWebhookSecret(sealed, randomBytes(32))).toThrow(/cannot be decrypted with WEBHOOK_SECRET_KEY/)
    expect(() => openWebhookSecret('whsec_raw', null)).toThrow(/unknown form/)
  })
})

describe('retry delays', () => {
  it('double from the base after each failed attempt, up to six hours', () => {
    expect([1, 2, 3, 4].map((n) => retryDelayMs(n, 30_000))).toEqual([30_000, 60_000, 120_000, 240_000])
    expect(retryDelayMs(30, 30_000)).toBe(6 * 3_600_000)
  })
})
