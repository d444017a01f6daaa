import { lookupTechniques, type RuleDefinition } from '../../detection/index.js'
import { findRule, importRules, listRules, setRuleEnabled, type RuleRow } from '../../store/rules.js'
import { requireTenant, type RequestContext } from '../context.js'

const definition = (r: RuleRow): RuleDefinition => r.definition as unknown as RuleDefinition

export const ruleResolvers = {
  Query: {
    rules: (_: unknown, __: unknown, ctx: RequestContext) => listRules(ctx.deps.prisma, requireTenant(ctx, 'read').tenantId),
    rule: (_: unknown, args: { id: string }, ctx: RequestContext) => findRule(ctx.deps.prisma, requireTenant(ctx, 'read').tenantId, args.id),
  },
  Mutation: {
    importRules: (_: unknown, args: { yaml: string }, ctx: RequestContext) =>
      importRules(ctx.deps.prisma, requireTenant(ctx, 'write-rules').tenantId, args.yaml),
    setRuleEnabled: (_: unknown, args: { id: string; enabled: boolean }, ctx: RequestContext) =>
      setRuleEnabled(ctx.deps.prisma, requireTenant(ctx, 'write-rules').tenantId, args.id, args.enabled),
  },
  Rule: {
    type: (r: RuleRow) => definition(r).type ?? null,
    status: (r: RuleRow) => definition(r).status ?? null,
    description: (r: RuleRow) => definition(r).description ?? null,
    search: (r: RuleRow) => definition(r).search,
    dataSources: (r: RuleRow) => definition(r).dataSources ?? [],
    analyticStories: (r: RuleRow) => definition(r).tags?.analyticStories ?? [],
    mitre: (r: RuleRow) => lookupTechniques(definition(r).tags?.mitreAttackIds ?? []),
    rba: (r: RuleRow) => definition(r).rba ?? null,
    drilldowns: (r: RuleRow) => definition(r).drilldowns ?? [],
  },
}
