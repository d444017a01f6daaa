import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto'

/**
 * A webhook's signing secret: generated here, shown to the tenant once (createWebhook,
 * rotateWebhookSecret), and kept readable, because signing needs the secret itself (unlike API
 * keys, whose hash suffices). With WEBHOOK_SECRET_KEY set, it is stored sealed with AES-256-GCM, so
 * a copy of the database alone does not give it away; without, it is stored as `plain:<secret>`.
 * Either form is read back whatever the key setting is now, except a sealed secret without its key.
 */

const SEALED = 'aes-256-gcm:'
const PLAIN = 'plain:'

/** A new secret: `whsec_` and 256 random bits. */
export function generateWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64url')}`
}

/** The stored form of `secret`: sealed when a key is configured. */
export function sealWebhookSecret(secret: string, key: Buffer | null): string {
  if (key === null) return `${PLAIN}${secret}`
  const iv = randomBytes(12)
  const cipher = createCipheriv('aes-256-gcm', key, iv)
  const sealed = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()])
  return `${SEALED}${[iv, cipher.getAuthTag(), sealed].map((b) => b.toString('base64url')).join('.')}`
}

/** The secret back from its stored form; throws a message fit for the delivery's history when it cannot. */
export function openWebhookSecret(stored: string, key: Buffer | null): string {
  if (stored.startsWith(PLAIN)) return stored.slice(PLAIN.length)
  if (!stored.startsWith(SEALED)) throw new Error('the webhook secret is stored in an unknown form')
  if (key === null) throw new Error('the webhook secret is encrypted but WEBHOOK_SECRET_KEY is not set')
  const [iv, tag, sealed] = stored.slice(SEALED.length).split('.').map((p) => Buffer.from(p, 'base64url'))
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, iv!)
    decipher.setAuthTag(tag!)
    return Buffer.concat([decipher.update(sealed!), decipher.final()]).toString('utf8')
  } catch {
    throw new Error('the webhook secret cannot be decrypted with WEBHOOK_SECRET_KEY (was the key changed?); rotate the secret')
  }
}
