import { setRuleAlerting } from '../../store/rule-alerting.js'
import { loadBatched } from '../batch-loader.js'
import { requireTenant, type RequestContext } from '../context.js'
import { formatDuration } from '../../scans/schedule-window.js'
import type { Resolvers } from '../generated/resolver-types.js'
import type { DetectionParent } from '../resolver-parents.js'

/** A rule's alert suppression and cap (store/detection-alerting.ts), and what suppression did to detections. */

/** Per detection: the number and total events of the detections suppressed into it. */
function suppressedInto(ctx: RequestContext, d: DetectionParent): Promise<{ detections: number; events: number } | undefined> {
  return loadBatched(ctx, 'suppressed-into', d.id, async (ids: string[]) => {
    const { rows } = await ctx.deps.pool.query<{ suppressed_into: string; n: string; events: string }>(
      'SELECT suppressed_into, count(*) AS n, sum(count) AS events FROM detections WHERE tenant_id = $1 AND suppressed_into = ANY($2::uuid[]) GROUP BY suppressed_into',
      [d.tenantId, ids],
    )
    return new Map(rows.map((r) => [r.suppressed_into, { detections: Number(r.n), events: Number(r.events) }]))
  })
}

export const alertingResolvers: Resolvers = {
  Mutation: {
    setRuleAlerting: (_, args, ctx) => {
      const { tenantId } = requireTenant(ctx, 'write-rules')
      return setRuleAlerting(ctx.deps.prisma, tenantId, args.id, args.input)
    },
  },
  Rule: {
    alerting: (r) => ({
      suppressBy: r.suppressBy,
      suppressWindow: r.suppressWindowSeconds === null ? null : formatDuration(r.suppressWindowSeconds),
      maxDetectionsPerRun: r.maxDetectionsPerRun,
    }),
  },
  Detection: {
    suppressedInto: (d) => d.suppressedInto,
    suppressedDetections: async (d, _, ctx) => (await suppressedInto(ctx, d))?.detections ?? 0,
    suppressedCount: async (d, _, ctx) => (await suppressedInto(ctx, d))?.events ?? 0,
  },
}
