import { createHash } from 'node:crypto'
import type { Principal } from './api-keys.js'

/**
 * Keys this process authenticated in the last few seconds. Authenticating a key is a database
 * round trip (key, tenant) per request — more than many queries cost — so a process remembers a
 * good key for AUTHENTICATED_KEY_TTL_MS. The price: a key revoked, or a tenant suspended or
 * deleted, by another process is refused here up to that long later; the process that makes such
 * a change forgets every key at once (forgetAuthenticatedKeys). A key never outlives its expiry.
 * Only accepted keys are remembered, by their SHA-256, never the key itself; refused ones are
 * checked (and audited) every time.
 */

export const AUTHENTICATED_KEY_TTL_MS = 5_000
const MAX_KEYS = 10_000

interface Entry {
  principal: Principal
  until: number
}

const entries = new Map<string, Entry>()
const digest = (presented: string): string => createHash('sha256').update(presented).digest('hex')

/** The principal of a key accepted recently, if it is still within its time. */
export function rememberedKey(presented: string, now: number): Principal | undefined {
  const id = digest(presented)
  const entry = entries.get(id)
  if (entry === undefined) return undefined
  if (entry.until <= now) {
    entries.delete(id)
    return undefined
  }
  return entry.principal
}

/** Remembers an accepted key until the TTL passes or the key expires, whichever is first. */
export function rememberKey(presented: string, principal: Principal, expiresAt: Date | null, now: number): void {
  if (entries.size >= MAX_KEYS) entries.delete(entries.keys().next().value!)
  const until = Math.min(now + AUTHENTICATED_KEY_TTL_MS, expiresAt?.getTime() ?? Infinity)
  if (until > now) entries.set(digest(presented), { principal, until })
}

/** Forgets every key: called by whatever revokes a key or suspends or deletes a tenant. */
export function forgetAuthenticatedKeys(): void {
  entries.clear()
}
