import { withSystemScope, withTenantScope } from '../db/db-scope.js'
import type { PrismaClient } from '../db/prisma.js'
import { insertAuditEvents } from '../store/audit-events.js'
import type { AuditEventInput } from './audit-event.js'

/** Where a failed audit write is reported: the service's pino logger, or the CLI's stderr. */
export interface AuditFailureLog {
  error(details: object, message: string): void
}

/**
 * Writes audit events after the mutation they record; never throws.
 *
 * The mutation has already happened (and committed) when its record is written, so a failed write
 * does not turn its answer into an error: a client told "failed" would retry, and create a second
 * key or upload. The failure is logged as an error instead, with what identifies the events (no
 * summaries, although they hold no secrets), so that operators see the gap in the log.
 */
export async function recordAuditEvents(prisma: PrismaClient, log: AuditFailureLog, events: AuditEventInput[]): Promise<boolean> {
  try {
    for (const [tenantId, group] of byTenant(events)) {
      // Row-level security: each tenant's events are written in that tenant's scope, whatever the
      // caller's (a refused key's request has none); events of no tenant are the operator's.
      const write = (): Promise<void> => insertAuditEvents(prisma, group)
      await (tenantId === null ? withSystemScope(write) : withTenantScope(tenantId, write))
    }
    return true
  } catch (err) {
    const lost = events.map((e) => ({ operation: e.operation, outcome: e.outcome, tenantId: e.tenantId, actorKeyId: e.actorKeyId, actorRole: e.actorRole }))
    log.error({ err: errorWithoutData(err), lostAuditEvents: lost }, 'could not write the audit log; the operations themselves stand')
    return false
  }
}

/**
 * Class, code and message, no stack or causes: Prisma's messages quote the rejected data, which is
 * only the (secret-free) summaries; what a driver error might carry beyond that stays out.
 */
function errorWithoutData(err: unknown): { name: string; code?: unknown; message?: string } {
  if (!(err instanceof Error)) return { name: typeof err }
  return { name: err.name, code: (err as { code?: unknown }).code, message: err.message }
}

function byTenant(events: AuditEventInput[]): Map<string | null, AuditEventInput[]> {
  const groups = new Map<string | null, AuditEventInput[]>()
  for (const e of events) groups.set(e.tenantId, [...(groups.get(e.tenantId) ?? []), e])
  return groups
}
