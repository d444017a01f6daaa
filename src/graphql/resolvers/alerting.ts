import type { RuleRow } from '../../store/rules.js'
import { setRuleAlerting, type RuleAlertingInput } from '../../store/rule-alerting.js'
import type { DetectionRecord } from '../../store/detections-query.js'
import { loadBatched } from '../batch-loader.js'
import { requireTenant, type RequestContext } from '../context.js'
import { formatDuration } from '../../scans/schedule-window.js'

/** A rule's alert suppression and cap (store/detection-alerting.ts), and what suppression did to detections. */

type DetectionParent = DetectionRecord & { tenantId: string }

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

export const alertingResolvers = {
  Mutation: {
    setRuleAlerting: (_: unknown, args: { id: string; input: RuleAlertingInput }, ctx: RequestContext) => {
      const { tenantId } = requireTenant(ctx, 'write-rules')
      return setRuleAlerting(ctx.deps.prisma, tenantId, args.id, args.input)
    },
  },
  Rule: {
    alerting: (r: RuleRow) => ({
      suppressBy: r.suppressBy,
      suppressWindow: r.suppressWindowSeconds === null ? null : formatDuration(r.suppressWindowSeconds),
      maxDetectionsPerRun: r.maxDetectionsPerRun,
    }),
  },
  Detection: {
    suppressedInto: (d: DetectionParent) => d.suppressedInto,
    suppressedDetections: async (d: DetectionParent, _: unknown, ctx: RequestContext) => (await suppressedInto(ctx, d))?.detections ?? 0,
    suppressedCount: async (d: DetectionParent, _: unknown, ctx: RequestContext) => (await suppressedInto(ctx, d))?.events ?? 0,
  },
}
