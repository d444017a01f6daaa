import { enableBundledRules, listBundledForTenant } from '../../services/bundled-content.js'
import { explainDetection } from '../../services/explain-detection.js'
import { validateRuleYaml } from '../../services/draft-rule.js'
import { previewRule, ruleImpact } from '../../services/rule-lab.js'
import { setRuleFixtures, testRule, type FixtureInput } from '../../services/rule-tests.js'
import { isUuid } from '../../store/rules.js'
import { requireTenant, type RequestContext } from '../context.js'

/** Trying rules out: validation, previews, impact, fixture tests, explanations. Nothing here writes detections. */
export const ruleLabResolvers = {
  Query: {
    validateRule: async (_: unknown, args: { yaml: string }, ctx: RequestContext) => {
      const v = await validateRuleYaml(ctx.deps.prisma, requireTenant(ctx, 'read').tenantId, args.yaml)
      return { valid: v.valid, rules: v.rules, errors: v.errors }
    },
    previewRule: (_: unknown, args: { yaml: string; uploadId: string }, ctx: RequestContext) =>
      previewRule(ctx.deps, requireTenant(ctx, 'read').tenantId, args.yaml, args.uploadId),
    ruleImpact: (_: unknown, args: { id: string; yaml: string; uploadId: string }, ctx: RequestContext) =>
      ruleImpact(ctx.deps, requireTenant(ctx, 'read').tenantId, args.id, args.yaml, args.uploadId),
    bundledRules: (_: unknown, __: unknown, ctx: RequestContext) => listBundledForTenant(ctx.deps.prisma, requireTenant(ctx, 'read').tenantId),
    testRule: (_: unknown, args: { id: string }, ctx: RequestContext) => testRule(ctx.deps.prisma, requireTenant(ctx, 'read').tenantId, args.id),
    explainDetection: async (_: unknown, args: { id: string }, ctx: RequestContext) => {
      const { tenantId } = requireTenant(ctx, 'read')
      const e = await explainDetection(ctx.deps, tenantId, args.id)
      const d = await ctx.deps.prisma.detection.findFirstOrThrow({ where: { id: e.detectionId, tenantId } })
      return {
        detection: {
          id: d.id,
          ruleId: d.ruleId,
          ruleRevision: d.ruleRevision,
          fields: d.fields,
          count: Number(d.count),
          firstTime: d.firstTime,
          lastTime: d.lastTime,
          status: d.status,
          assignee: d.assignee,
          statusChangedAt: d.statusChangedAt,
          tenantId,
        },
        event: e.event,
        terms: e.terms,
      }
    },
  },
  Mutation: {
    enableBundledRules: (_: unknown, args: { escuIds?: string[] | null }, ctx: RequestContext) =>
      enableBundledRules(ctx.deps.prisma, requireTenant(ctx, 'write-rules').tenantId, args.escuIds ?? null),
    setRuleFixtures: (_: unknown, args: { id: string; fixtures: FixtureInput[] }, ctx: RequestContext) =>
      setRuleFixtures(ctx.deps.prisma, requireTenant(ctx, 'write-rules').tenantId, args.id, args.fixtures),
  },
  Rule: {
    versions: (r: { id: string }, _: unknown, ctx: RequestContext) =>
      isUuid(r.id) ? ctx.deps.prisma.ruleVersion.findMany({ where: { ruleId: r.id }, orderBy: { revision: 'desc' } }) : [],
    fixtures: (r: { id: string }, _: unknown, ctx: RequestContext) => ctx.deps.prisma.ruleFixture.findMany({ where: { ruleId: r.id }, orderBy: { name: 'asc' } }),
  },
}

