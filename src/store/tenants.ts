import type { PrismaClient } from '../db/prisma.js'
import { ConflictError, InvalidInputError } from '../errors.js'
import { createApiKey } from './api-keys.js'

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
  const existing = await prisma.tenant.findUnique({ where: { name } })
  if (existing) throw new ConflictError(`a tenant named "${name}" already exists`, { field: 'name' })
  const tenant = await prisma.tenant.create({ data: { name } })
  const { key } = await createApiKey(prisma, { tenantId: tenant.id, name: 'initial admin key', role: 'admin' })
  return { tenant: { id: tenant.id, name: tenant.name }, apiKey: key }
}
