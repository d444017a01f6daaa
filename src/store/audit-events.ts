import type { AuditEventInput } from '../audit/audit-event.js'
import type { PrismaClient } from '../db/prisma.js'
import { InvalidInputError } from '../errors.js'
import type { AuditEvent, Prisma } from '../generated/prisma/client.js'
import { decodeCursor, encodeCursor } from './cursor.js'

/** The audit log in Postgres: written once per mutation call, read by tenant admins newest first. */

export async function insertAuditEvents(prisma: PrismaClient, events: AuditEventInput[]): Promise<void> {
  if (events.length === 0) return
  await prisma.auditEvent.createMany({
    data: events.map((e) => ({
      tenantId: e.tenantId,
      actorKeyId: e.actorKeyId,
      actorRole: e.actorRole,
      operation: e.operation,
      summary: e.summary as Prisma.InputJsonObject,
      outcome: e.outcome,
    })),
  })
}

export interface AuditLogFilter {
  operation?: string | null
  outcome?: string | null
  /** At or after. */
  since?: Date | null
  /** Strictly before. */
  until?: Date | null
}

/** A tenant's events, newest first, keyset-paginated on (occurredAt, id). */
export async function listAuditEvents(prisma: PrismaClient, tenantId: string, first: number, after: string | null | undefined, filter: AuditLogFilter) {
  const c = after ? decodeAuditCursor(after) : null
  const rows = await prisma.auditEvent.findMany({
    where: {
      tenantId,
      ...(filter.operation != null ? { operation: filter.operation } : {}),
      ...(filter.outcome != null ? { outcome: filter.outcome } : {}),
      occurredAt: { ...(filter.since ? { gte: filter.since } : {}), ...(filter.until ? { lt: filter.until } : {}) },
      ...(c ? { OR: [{ occurredAt: { lt: c.occurredAt } }, { occurredAt: c.occurredAt, id: { lt: c.id } }] } : {}),
    },
    orderBy: [{ occurredAt: 'desc' }, { id: 'desc' }],
    take: first + 1,
  })
  const page = rows.slice(0, first)
  const edges = page.map((node) => ({ cursor: encodeCursor(String(node.occurredAt.getTime()), String(node.id)), node }))
  return { edges, pageInfo: { hasNextPage: rows.length > first, endCursor: edges.at(-1)?.cursor ?? null } }
}

export type AuditEventRow = AuditEvent

function decodeAuditCursor(after: string): { occurredAt: Date; id: bigint } {
  const { sortValue, id } = decodeCursor(after)
  if (!/^\d{1,13}$/.test(sortValue) || !/^\d{1,19}$/.test(id)) throw new InvalidInputError('"after" is not a cursor returned by this API', { field: 'after' })
  return { occurredAt: new Date(Number(sortValue)), id: BigInt(id) }
}
