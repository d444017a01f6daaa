import { compileRule, formatWhere, lookupTechniques, type RuleDefinition } from '../../detection/index.js'
import { deleteRule, exportRulesYaml, findRule, importRules, listRules, loadMacroSet, setRuleEnabled, type RuleFilter, type RuleRow } from '../../store/rules.js'
import { checkRuleYamlSize } from '../../services/rule-yaml-size.js'
import { requireTenant, type RequestContext } from '../context.js'

const definition = (r: RuleRow): RuleDefinition => r.definition as unknown as RuleDefinition

export const ruleResolvers = {
  Query: {
    rules: (_: unknown, args: { filter?: RuleFilter | null }, ctx: RequestContext) =>
      listRules(ctx.deps.prisma, requireTenant(ctx, 'read').tenantId, args.filter ?? {}),
    exportRules: async (_: unknown, args: { ids?: string[] | null }, ctx: RequestContext) => {
      const rows = await listRules(ctx.deps.prisma, requireTenant(ctx, 'read').tenantId)
      return exportRulesYaml(args.ids ? rows.filter((r) => args.ids!.includes(r.id)) : rows)
    },
    rule: (_: unknown, args: { id: string }, ctx: RequestContext) => findRule(ctx.deps.prisma, requireTenant(ctx, 'read').tenantId, args.id),
  },
  Mutation: {
    importRules: (_: unknown, args: { yaml: string }, ctx: RequestContext) => {
      const { tenantId } = requireTenant(ctx, 'write-rules')
      checkRuleYamlSize(args.yaml)
      return importRules(ctx.deps.prisma, tenantId, args.yaml)
    },
    setRuleEnabled: (_: unknown, args: { id: string; enabled: boolean }, ctx: RequestContext) =>
      setRuleEnabled(ctx.deps.prisma, requireTenant(ctx, 'write-rules').tenantId, args.id, args.enabled),
    deleteRule: (_: unknown, args: { id: string }, ctx: RequestContext) => deleteRule(ctx.deps.prisma, requireTenant(ctx, 'write-rules').tenantId, args.id),
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
    condition: async (r: RuleRow, _: unknown, ctx: RequestContext) => {
      try {
        return formatWhere(compileRule(definition(r), await loadMacroSet(ctx.deps.prisma, r.tenantId)).where)
      } catch (err) {
        // A macro the rule uses changed since import: show why instead of failing the whole query.
        return `(does not compile: ${(err as Error).message})`
      }
    },
  },
}
