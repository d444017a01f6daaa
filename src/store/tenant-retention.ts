import type { PrismaClient } from '../db/prisma.js'
import { InvalidInputError, NotFoundError } from '../errors.js'
import { isUuid } from './rules.js'

/**
 * A tenant's retention period: how many days its events are kept before the scheduled sweep
 * (retention.ts) purges them; null keeps them forever, the default. Set by the tenant's admin
 * (GraphQL) or the operator (CLI); the bounds are also a CHECK constraint in SQL.
 */

export const RETENTION_DAYS = { min: 1, max: 3650 } as const

/** Rejects anything but a whole number of days within the bounds, or null. */
export function checkRetentionDays(days: number | null): void {
  if (days === null) return
  if (!Number.isInteger(days) || days < RETENTION_DAYS.min || days > RETENTION_DAYS.max) {
    throw new InvalidInputError(
      `the retention period must be a whole number of days from ${RETENTION_DAYS.min} to ${RETENTION_DAYS.max}, or null to keep events forever (got ${days})`,
      { field: 'days' },
    )
  }
}

/** Sets the tenant's retention period and returns the tenant. */
export async function setRetentionDays(prisma: PrismaClient, tenantId: string, days: number | null) {
  checkRetentionDays(days)
  const tenant = isUuid(tenantId) ? await prisma.tenant.findFirst({ where: { id: tenantId } }) : null
  if (!tenant) throw new NotFoundError('Tenant', tenantId)
  return prisma.tenant.update({ where: { id: tenantId }, data: { retentionDays: days } })
}
