import { compileRule, formatWhere, lookupTechniques, type RuleDefinition } from '../../detection/index.js'
import { deleteRule, exportRulesYaml, findRule, importRules, listRules, loadMacroSet, setRuleEnabled, type RuleRow } from '../../store/rules.js'
import { checkRuleYamlSize } from '../../services/rule-yaml-size.js'
import { requireTenant } from '../context.js'
import type { Resolvers } from '../generated/resolver-types.js'

const definition = (r: RuleRow): RuleDefinition => r.definition as unknown as RuleDefinition

export const ruleResolvers: Resolvers = {
  Query: {
    rules: (_, args, ctx) =>
      listRules(ctx.deps.prisma, requireTenant(ctx, 'read').tenantId, args.filter ?? {}),
    exportRules: async (_, args, ctx) => {
      const rows = await listRules(ctx.deps.prisma, requireTenant(ctx, 'read').tenantId)
      return exportRulesYaml(args.ids ? rows.filter((r) => args.ids!.includes(r.id)) : rows)
    },
    rule: (_, args, ctx) => findRule(ctx.deps.prisma, requireTenant(ctx, 'read').tenantId, args.id),
  },
  Mutation: {
    importRules: (_, args, ctx) => {
      const { tenantId } = requireTenant(ctx, 'write-rules')
      checkRuleYamlSize(args.yaml)
      return importRules(ctx.deps.prisma, tenantId, args.yaml)
    },
    setRuleEnabled: (_, args, ctx) =>
      setRuleEnabled(ctx.deps.prisma, requireTenant(ctx, 'write-rules').tenantId, args.id, args.enabled),
    deleteRule: (_, args, ctx) => deleteRule(ctx.deps.prisma, requireTenant(ctx, 'write-rules').tenantId, args.id),
  },
  Rule: {
    type: (r) => definition(r).type ?? null,
    status: (r) => definition(r).status ?? null,
    description: (r) => definition(r).description ?? null,
    search: (r) => definition(r).search,
    dataSources: (r) => [...(definition(r).dataSources ?? [])],
    analyticStories: (r) => [...(definition(r).tags?.analyticStories ?? [])],
    mitre: (r) => lookupTechniques(definition(r).tags?.mitreAttackIds ?? []),
    rba: (r) => definition(r).rba ?? null,
    drilldowns: (r) => [...(definition(r).drilldowns ?? [])],
    condition: async (r, _, ctx) => {
      try {
        return formatWhere(compileRule(definition(r), await loadMacroSet(ctx.deps.prisma, r.tenantId)).where)
      } catch (err) {
        // A macro the rule uses changed since import: show why instead of failing the whole query.
        return `(does not compile: ${(err as Error).message})`
      }
    },
  },
}
