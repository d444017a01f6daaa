import type { DetectionView } from '../../detection/index.js'
import { enableBundledRules, listBundledForTenant } from '../../services/bundled-content.js'
import { explainDetection } from '../../services/explain-detection.js'
import { validateRuleYaml } from '../../services/draft-rule.js'
import { previewRule, ruleImpact } from '../../services/rule-lab.js'
import { setRuleFixtures, testRule } from '../../services/rule-tests.js'
import { isUuid } from '../../store/rules.js'
import { requireTenant } from '../context.js'
import type { Resolvers } from '../generated/resolver-types.js'

/**
 * A previewed detection as the schema shows it: DetectionPreview.firstTime and lastTime are
 * strings, and a rule that does not convert its times with ctime gives epoch seconds, shown as
 * their decimal string (as graphql-js's String would).
 */
const previewOf = (v: DetectionView) => ({ ...v, firstTime: shownTime(v.firstTime), lastTime: shownTime(v.lastTime) })
const shownTime = (t: string | number | null): string | null => (typeof t === 'number' ? String(t) : t)

/** Trying rules out: validation, previews, impact, fixture tests, explanations. Nothing here writes detections. */
export const ruleLabResolvers: Resolvers = {
  Query: {
    validateRule: async (_, args, ctx) => {
      const v = await validateRuleYaml(ctx.deps.prisma, requireTenant(ctx, 'read').tenantId, args.yaml)
      return { valid: v.valid, rules: v.rules, errors: v.errors }
    },
    previewRule: async (_, args, ctx) => {
      const preview = await previewRule(ctx.deps, requireTenant(ctx, 'read').tenantId, args.yaml, args.uploadId)
      return { ...preview, detections: preview.detections.map(previewOf) }
    },
    ruleImpact: async (_, args, ctx) => {
      const impact = await ruleImpact(ctx.deps, requireTenant(ctx, 'read').tenantId, args.id, args.yaml, args.uploadId)
      return { ...impact, added: impact.added.map(previewOf), removed: impact.removed.map(previewOf) }
    },
    bundledRules: (_, __, ctx) => listBundledForTenant(ctx.deps.prisma, requireTenant(ctx, 'read').tenantId),
    testRule: (_, args, ctx) => testRule(ctx.deps.prisma, requireTenant(ctx, 'read').tenantId, args.id),
    explainDetection: async (_, args, ctx) => {
      const { tenantId } = requireTenant(ctx, 'read')
      const e = await explainDetection(ctx.deps, tenantId, args.id)
      const d = await ctx.deps.prisma.detection.findFirstOrThrow({ where: { id: e.detectionId, tenantId } })
      return {
        detection: {
          id: d.id,
          ruleId: d.ruleId,
          ruleRevision: d.ruleRevision,
          // The BY fields, stored as a json object of strings.
          fields: d.fields as Record<string, string>,
          count: Number(d.count),
          firstTime: d.firstTime,
          lastTime: d.lastTime,
          status: d.status,
          assignee: d.assignee,
          statusChangedAt: d.statusChangedAt,
          suppressedInto: d.suppressedInto,
          tenantId,
        },
        event: e.event,
        terms: e.terms,
      }
    },
  },
  Mutation: {
    enableBundledRules: (_, args, ctx) =>
      enableBundledRules(ctx.deps.prisma, requireTenant(ctx, 'write-rules').tenantId, args.escuIds ?? null),
    setRuleFixtures: (_, args, ctx) =>
      setRuleFixtures(ctx.deps.prisma, requireTenant(ctx, 'write-rules').tenantId, args.id, args.fixtures),
  },
  Rule: {
    versions: (r, _, ctx) =>
      isUuid(r.id) ? ctx.deps.prisma.ruleVersion.findMany({ where: { ruleId: r.id }, orderBy: { revision: 'desc' } }) : [],
    fixtures: (r, _, ctx) => ctx.deps.prisma.ruleFixture.findMany({ where: { ruleId: r.id }, orderBy: { name: 'asc' } }),
  },
}

