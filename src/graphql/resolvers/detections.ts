import { ctime, lookupTechniques, type RuleDefinition } from '../../detection/index.js'
import { pageSize } from '../../store/cursor.js'
import { InvalidInputError } from '../../errors.js'
import { addDetectionComment, assignDetection, commentsOfDetection, setDetectionStatus } from '../../store/detection-triage.js'
import { queryDetections, riskEventsOfDetection } from '../../store/detections-query.js'
import { queryRiskObjects } from '../../store/risk-query.js'
import { loadRuleRows } from '../../store/rule-row-cache.js'
import { isUuid, type RuleRow } from '../../store/rules.js'
import { requireTenant, type RequestContext } from '../context.js'
import type { DetectionFilter, Resolvers } from '../generated/resolver-types.js'
import { requiredRow } from '../required-row.js'

/**
 * Detections, risk objects and ATT&CK summaries: views over what the workers wrote; and the
 * detections' triage (status, assignee, comments), which analyst and admin keys change.
 */

async function rulesById(ctx: RequestContext, tenantId: string, ids?: string[]) {
  const rows = await ctx.deps.prisma.rule.findMany({ where: { tenantId, ...(ids ? { id: { in: ids } } : {}) } })
  return new Map(rows.map((r) => [r.id, r]))
}

const definitionOf = (row: { definition: unknown }): RuleDefinition => row.definition as RuleDefinition

/**
 * A page of detections mostly shares a few rules, and `rule`, `threatObjects` and `mitre` all
 * need the detection's rule: load each rule once per request instead of three times per row.
 */
const rulesOfRequest = new WeakMap<RequestContext, Map<string, Promise<RuleRow | null>>>()

function ruleOf(ctx: RequestContext, tenantId: string, ruleId: string): Promise<RuleRow | null> {
  let cache = rulesOfRequest.get(ctx)
  if (!cache) rulesOfRequest.set(ctx, (cache = new Map()))
  let rule = cache.get(ruleId)
  if (!rule) cache.set(ruleId, (rule = loadRuleRows(ctx.deps.pool, ctx.deps.prisma, tenantId, [ruleId]).then((rows) => rows.get(ruleId) ?? null)))
  return rule
}

/** Loads the rules of a page of detections at once, ahead of the per-row resolvers that read them. */
async function loadRulesOfPage(ctx: RequestContext, tenantId: string, ruleIds: string[]): Promise<void> {
  let cache = rulesOfRequest.get(ctx)
  if (!cache) rulesOfRequest.set(ctx, (cache = new Map()))
  const missing = [...new Set(ruleIds)].filter((id) => !cache.has(id))
  if (missing.length === 0) return
  const rows = await loadRuleRows(ctx.deps.pool, ctx.deps.prisma, tenantId, missing)
  for (const id of missing) cache.set(id, Promise.resolve(rows.get(id) ?? null))
}

function ruleIdsForFilter(rules: Awaited<ReturnType<typeof rulesById>>, filter: DetectionFilter): string[] | null {
  let ids: string[] | null = filter.ruleId ? [filter.ruleId] : null
  if (filter.mitreTechnique) {
    const t = filter.mitreTechnique.toUpperCase()
    const carrying = [...rules.values()].filter((r) => (definitionOf(r).tags?.mitreAttackIds ?? []).includes(t)).map((r) => r.id)
    ids = ids ? ids.filter((id) => carrying.includes(id)) : carrying
  }
  return ids
}

export const detectionResolvers: Resolvers = {
  Query: {
    detections: async (_, args, ctx) => {
      const { tenantId } = requireTenant(ctx, 'read')
      const filter = args.filter ?? {}
      const first = pageSize(args.first, 50, 500)
      const ruleIds = filter.mitreTechnique ? ruleIdsForFilter(await rulesById(ctx, tenantId), filter) : filter.ruleId ? [filter.ruleId] : null
      const page = await queryDetections(ctx.deps.pool, {
        tenantId,
        ruleIds,
        dest: filter.dest,
        user: filter.user,
        from: filter.from,
        to: filter.to,
        status: filter.status,
        assignee: filter.assignee,
        assigned: filter.assigned,
        includeSuppressed: filter.includeSuppressed,
        first,
        after: args.after,
      })
      await loadRulesOfPage(ctx, tenantId, page.records.map((r) => r.record.ruleId))
      return {
        edges: page.records.map((r) => ({ cursor: r.cursor, node: { ...r.record, tenantId } })),
        pageInfo: { hasNextPage: page.hasNextPage, endCursor: page.records.at(-1)?.cursor ?? null },
        totalCount: page.totalCount,
      }
    },
    riskObjects: async (_, args, ctx) => {
      const { tenantId } = requireTenant(ctx, 'read')
      const first = pageSize(args.first, 100, 1000)
      const records = await queryRiskObjects(ctx.deps.pool, { tenantId, ...(args.filter ?? {}), first })
      return records.map((r) => ({ ...r, tenantId }))
    },
    mitreTechniques: async (_, args, ctx) => {
      const { tenantId } = requireTenant(ctx, 'read')
      const filter = args.filter ?? {}
      // A rule id that is not a uuid names no rule (Postgres would refuse to compare it).
      if (filter.ruleId && !isUuid(filter.ruleId)) return []
      const rules = await ctx.deps.prisma.rule.findMany({ where: { tenantId, enabled: true, ...(filter.ruleId ? { id: filter.ruleId } : {}) } })
      const counts = await ctx.deps.pool.query<{ rule_id: string; n: string }>(
        'SELECT rule_id, count(*) AS n FROM detections WHERE tenant_id = $1 GROUP BY rule_id',
        [tenantId],
      )
      const detectionsOf = new Map(counts.rows.map((r) => [r.rule_id, Number(r.n)]))
      const summary = new Map<string, { id: string; name: string; tactics: string[]; ruleCount: number; detectionCount: number }>()
      for (const rule of rules) {
        for (const t of lookupTechniques(definitionOf(rule).tags?.mitreAttackIds ?? [])) {
          const s = summary.get(t.id) ?? { ...t, ruleCount: 0, detectionCount: 0 }
          s.ruleCount += 1
          s.detectionCount += detectionsOf.get(rule.id) ?? 0
          summary.set(t.id, s)
        }
      }
      const tactic = filter.tactic?.toLowerCase()
      return [...summary.values()]
        .filter((s) => !tactic || s.tactics.some((x) => x.toLowerCase() === tactic))
        .filter((s) => !filter.detectedOnly || s.detectionCount > 0)
        .sort((a, b) => b.detectionCount - a.detectionCount || a.id.localeCompare(b.id))
    },
  },
  Mutation: {
    setDetectionStatus: async (_, args, ctx) => {
      const { tenantId, keyId } = requireTenant(ctx, 'triage')
      return { ...(await setDetectionStatus(ctx.deps.pool, { tenantId, keyId }, args.id, args.status, args.comment)), tenantId }
    },
    assignDetection: async (_, args, ctx) => {
      const { tenantId } = requireTenant(ctx, 'triage')
      // An omitted argument must not silently unassign.
      if (args.assignee === undefined) throw new InvalidInputError('assignee is required: an analyst (e.g. a name or e-mail), or null to unassign', { field: 'assignee' })
      return { ...(await assignDetection(ctx.deps.pool, tenantId, args.id, args.assignee)), tenantId }
    },
    addDetectionComment: (_, args, ctx) => {
      const { tenantId, keyId } = requireTenant(ctx, 'triage')
      return addDetectionComment(ctx.deps.pool, { tenantId, keyId }, args.id, args.body)
    },
  },
  Detection: {
    rule: async (d, _, ctx) => requiredRow(await ruleOf(ctx, d.tenantId, d.ruleId), `rule ${d.ruleId} of detection ${d.id}`),
    comments: (d, _, ctx) => commentsOfDetection(ctx.deps.pool, d.tenantId, d.id),
    firstTime: (d) => (d.firstTime ? ctime(d.firstTime.getTime()) : null),
    lastTime: (d) => (d.lastTime ? ctime(d.lastTime.getTime()) : null),
    firstSeen: (d) => d.firstTime,
    lastSeen: (d) => d.lastTime,
    riskEvents: (d, _, ctx) => riskEventsOfDetection(ctx.deps.pool, d.tenantId, d.id),
    threatObjects: async (d, _, ctx) => {
      const rule = await ruleOf(ctx, d.tenantId, d.ruleId)
      const specs = rule ? (definitionOf(rule).rba?.threatObjects ?? []) : []
      return specs
        .map((s) => ({ value: d.fields[s.field], type: s.type }))
        .filter((t): t is { value: string; type: string } => t.value !== undefined && t.value !== '' && t.value !== 'null')
    },
    mitre: async (d, _, ctx) => {
      const rule = await ruleOf(ctx, d.tenantId, d.ruleId)
      return rule ? lookupTechniques(definitionOf(rule).tags?.mitreAttackIds ?? []) : []
    },
  },
  RiskObject: {
    ruleCount: (r) => r.ruleIds.length,
    rules: async (r, _, ctx) =>
      [...(await rulesById(ctx, r.tenantId, r.ruleIds)).values()].sort((a, b) => a.name.localeCompare(b.name)),
    techniques: (r) => lookupTechniques(r.techniqueIds),
    tactics: (r) => [...new Set(lookupTechniques(r.techniqueIds).flatMap((t) => t.tactics))].sort(),
  },
}
