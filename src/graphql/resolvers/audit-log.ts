import { pageSize } from '../../store/cursor.js'
import { listAuditEvents } from '../../store/audit-events.js'
import { requireTenant } from '../context.js'
import type { Resolvers } from '../generated/resolver-types.js'

/**
 * The tenant's audit log, for its admin keys only. The operator is refused too (FORBIDDEN): it
 * sees no tenant's data, and the summaries are tenant data (rule, key and file names).
 */
export const auditLogResolvers: Resolvers = {
  Query: {
    auditLog: (_, args, ctx) =>
      listAuditEvents(ctx.deps.prisma, requireTenant(ctx, 'audit').tenantId, pageSize(args.first, 50, 200), args.after, args.filter ?? {}),
  },
  AuditEvent: {
    id: (e) => String(e.id),
  },
}
