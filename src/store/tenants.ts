import type pg from 'pg'
import type { PrismaClient } from '../db/prisma.js'
import { withTransaction } from '../db/transaction.js'
import { ConflictError, InvalidInputError, NotFoundError } from '../errors.js'
import { createApiKey } from './api-keys.js'
import { forgetAuthenticatedKeys } from './api-key-cache.js'
import { isUuid } from './rules.js'

export interface CreatedTenant {
  tenant: { id: string; name: string }
  apiKey: string
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9 ._-]{0,99}$/

/** Creates a tenant and its first (admin) API key, which is returned in clear once. */
export async function createTenant(prisma: PrismaClient, name: string): Promise<CreatedTenant> {
  if (!NAME.test(name)) {
    throw new InvalidInputError('tenant name must be 1-100 characters: letters, digits, space, ".", "_", "-"', { field: 'name' })
  }
  const existing = await prisma.tenant.findFirst({ where: { name } })
  if (existing) throw new ConflictError(`a tenant named "${name}" already exists`, { field: 'name' })
  const tenant = await prisma.tenant.create({ data: { name } })
  const { key } = await createApiKey(prisma, { tenantId: tenant.id, name: 'initial admin key', role: 'admin' })
  return { tenant: { id: tenant.id, name: tenant.name }, apiKey: key }
}

export async function listTenants(prisma: PrismaClient) {
  return prisma.tenant.findMany({ orderBy: { name: 'asc' } })
}

/** Suspends or resumes a tenant: a suspended tenant's keys stop working, its data stays. */
export async function setTenantStatus(prisma: PrismaClient, id: string, status: 'ACTIVE' | 'SUSPENDED') {
  const tenant = isUuid(id) ? await prisma.tenant.findFirst({ where: { id } }) : null
  if (!tenant) throw new NotFoundError('Tenant', id)
  const updated = await prisma.tenant.update({ where: { id }, data: { status } })
  // This process's remembered keys go at once (other processes' within AUTHENTICATED_KEY_TTL_MS).
  forgetAuthenticatedKeys()
  return updated
}

/**
 * Purges a tenant: every event, detection, risk event, rule, upload (with its raw bytes) and key.
 * Tables without a foreign key to tenants are cleared explicitly, in one transaction.
 */
export async function deleteTenant(pool: pg.Pool, id: string): Promise<string> {
  return withTransaction(pool, async (client) => {
    const { rowCount } = await client.query('SELECT 1 FROM tenants WHERE id = $1 FOR UPDATE', [isUuid(id) ? id : null])
    if (!rowCount) throw new NotFoundError('Tenant', id)
    // The tenant's audit log goes too (it names its rules, keys and files); the record of this
    // deletion is written afterwards, against the deleted id, and stays.
    for (const table of ['risk_events', 'detection_contributions', 'detections', 'process_events', 'rule_versions', 'rule_fixtures', 'audit_events']) {
      await client.query(`DELETE FROM ${table} WHERE tenant_id = $1`, [id])
    }
    await client.query('DELETE FROM tenants WHERE id = $1', [id])
    return id
  }).finally(forgetAuthenticatedKeys)
}
