import { pageSize } from '../../store/cursor.js'
import { listAuditEvents, type AuditEventRow, type AuditLogFilter } from '../../store/audit-events.js'
import { requireTenant, type RequestContext } from '../context.js'

/**
 * The tenant's audit log, for its admin keys only. The operator is refused too (FORBIDDEN): it
 * sees no tenant's data, and the summaries are tenant data (rule, key and file names).
 */
export const auditLogResolvers = {
  Query: {
    auditLog: (_: unknown, args: { first?: number | null; after?: string | null; filter?: AuditLogFilter | null }, ctx: RequestContext) =>
      listAuditEvents(ctx.deps.prisma, requireTenant(ctx, 'audit').tenantId, pageSize(args.first, 50, 200), args.after, args.filter ?? {}),
  },
  AuditEvent: {
    id: (e: AuditEventRow) => String(e.id),
  },
}
