import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import type { PrismaClient } from '../db/prisma.js'
import { InvalidInputError, NotFoundError, UnauthenticatedError } from '../errors.js'
import { isUuid } from './rules.js'
import { RefusedApiKeyError } from './refused-api-key.js'
import { forgetAuthenticatedKeys, rememberedKey, rememberKey } from './api-key-cache.js'

/**
 * API keys look like `wp_<prefix>_<secret>`. The prefix is stored in clear (it finds the row and
 * lets people tell keys apart); only the SHA-256 of the whole key is stored, and compared in
 * constant time. A key is shown once, when it is created.
 */

export type ApiKeyRole = 'admin' | 'analyst' | 'ingest' | 'reader'

export interface Principal {
  tenantId: string
  keyId: string
  role: ApiKeyRole
}

const KEY_SHAPE = /^wp_([a-z0-9]{10})_([A-Za-z0-9_-]{32,})$/

const sha256 = (s: string): Buffer => createHash('sha256').update(s).digest()

/** Creates a key for a tenant and returns it in clear, once. */
export async function createApiKey(
  prisma: PrismaClient,
  input: { tenantId: string; name: string; role: ApiKeyRole; expiresAt?: Date | null },
): Promise<{ id: string; key: string; prefix: string }> {
  const prefix = randomBytes(8).toString('hex').slice(0, 10)
  const key = `wp_${prefix}_${randomBytes(24).toString('base64url')}`
  const row = await prisma.apiKey.create({
    data: {
      tenantId: input.tenantId,
      name: input.name,
      role: input.role,
      prefix,
      hash: sha256(key).toString('hex'),
      expiresAt: input.expiresAt ?? null,
    },
  })
  return { id: row.id, key, prefix }
}

/** Resolves a presented key to its tenant and role; every failure looks the same to the caller. */
export async function authenticateApiKey(prisma: PrismaClient, presented: string, now: Date): Promise<Principal> {
  const remembered = rememberedKey(presented, now.getTime())
  if (remembered !== undefined) return remembered
  const denied = new UnauthenticatedError('invalid or expired API key')
  const m = KEY_SHAPE.exec(presented)
  if (!m) throw denied
  const row = await prisma.apiKey.findFirst({ where: { prefix: m[1]! }, include: { tenant: true } })
  const expected = row ? Buffer.from(row.hash, 'hex') : sha256('')
  const matches = timingSafeEqual(sha256(presented), expected)
  if (!row) throw denied
  // Refused like any bad key, but this one names its tenant, where the audit log records the attempt.
  const refusal = !matches ? 'wrong secret' : row.revokedAt ? 'revoked' : row.expiresAt && row.expiresAt <= now ? 'expired' : row.tenant.status !== 'ACTIVE' ? 'tenant suspended' : null
  if (refusal) throw new RefusedApiKeyError({ tenantId: row.tenantId, keyId: row.id, role: row.role }, refusal)
  // Last-used time is advisory: written at most once a minute per key, never awaited by the request.
  if (!row.lastUsedAt || now.getTime() - row.lastUsedAt.getTime() > 60_000) {
    prisma.apiKey.update({ where: { id: row.id }, data: { lastUsedAt: now } }).catch(() => {})
  }
  const principal: Principal = { tenantId: row.tenantId, keyId: row.id, role: row.role }
  rememberKey(presented, principal, row.expiresAt, now.getTime())
  return principal
}

const ROLES: readonly ApiKeyRole[] = ['admin', 'analyst', 'ingest', 'reader']

/** Validates the input of a new key: a name, a known role, an expiry in the future. */
export function checkNewKey(input: { name: string; role: string; expiresAt?: Date | null }, now: Date): void {
  if (!input.name.trim() || input.name.length > 100) throw new InvalidInputError('the key name must be 1-100 characters', { field: 'name' })
  if (!ROLES.includes(input.role as ApiKeyRole)) throw new InvalidInputError(`role must be one of ${ROLES.join(', ')}`, { field: 'role' })
  if (input.expiresAt && input.expiresAt <= now) throw new InvalidInputError('expiresAt must be in the future', { field: 'expiresAt' })
}

/** The tenant's keys, newest first; never the hash. */
export async function listApiKeys(prisma: PrismaClient, tenantId: string) {
  return prisma.apiKey.findMany({
    where: { tenantId },
    orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
    select: { id: true, name: true, prefix: true, role: true, createdAt: true, lastUsedAt: true, expiresAt: true, revokedAt: true },
  })
}

/** Revokes a key at once; revoking twice keeps the first time. */
export async function revokeApiKey(prisma: PrismaClient, tenantId: string, id: string, now: Date) {
  const key = isUuid(id) ? await prisma.apiKey.findFirst({ where: { id, tenantId } }) : null
  if (!key) throw new NotFoundError('ApiKey', id)
  if (!key.revokedAt) await prisma.apiKey.update({ where: { id }, data: { revokedAt: now } })
  forgetAuthenticatedKeys()
  return (await listApiKeys(prisma, tenantId)).find((k) => k.id === id)!
}
