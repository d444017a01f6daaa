import { pageSize } from '../../store/cursor.js'
import {
  listRiskIncidentRules,
  queryRiskIncidents,
  riskEventsOfIncident,
  riskIncidentRuleById,
  ruleIdsOfIncident,
  setRiskIncidentRule,
  setRiskIncidentStatus,
  type RiskIncidentRecord,
  type RiskIncidentRuleInput,
  type RiskIncidentRuleKind,
  type RiskIncidentRuleRecord,
  type RiskIncidentStatus,
} from '../../store/risk-incidents.js'
import { requireTenant, type RequestContext } from '../context.js'

/** Risk incidents (src/store/risk-incidents.ts): read by every reading key, triaged and tuned by analyst and admin keys. */

type IncidentParent = RiskIncidentRecord & { tenantId: string }

interface RiskIncidentFilterArgs {
  status?: RiskIncidentStatus[] | null
  riskObject?: string | null
  ruleKind?: RiskIncidentRuleKind | null
}

export const riskIncidentResolvers = {
  Query: {
    riskIncidents: async (_: unknown, args: { first?: number | null; after?: string | null; filter?: RiskIncidentFilterArgs | null }, ctx: RequestContext) => {
      const { tenantId } = requireTenant(ctx, 'read')
      const filter = args.filter ?? {}
      const page = await queryRiskIncidents(ctx.deps.pool, { tenantId, ...filter, first: pageSize(args.first, 50, 500), after: args.after })
      return {
        edges: page.records.map((r) => ({ cursor: r.cursor, node: { ...r.record, tenantId } })),
        pageInfo: { hasNextPage: page.hasNextPage, endCursor: page.records.at(-1)?.cursor ?? null },
        totalCount: page.totalCount,
      }
    },
    riskIncidentRules: (_: unknown, __: unknown, ctx: RequestContext) => {
      const { tenantId } = requireTenant(ctx, 'read')
      return listRiskIncidentRules(ctx.deps.pool, tenantId)
    },
  },
  Mutation: {
    setRiskIncidentStatus: async (_: unknown, args: { id: string; status: RiskIncidentStatus }, ctx: RequestContext): Promise<IncidentParent> => {
      const { tenantId } = requireTenant(ctx, 'triage')
      return { ...(await setRiskIncidentStatus(ctx.deps.pool, tenantId, args.id, args.status)), tenantId }
    },
    setRiskIncidentRule: (_: unknown, args: { id?: string | null; input: RiskIncidentRuleInput }, ctx: RequestContext) => {
      const { tenantId } = requireTenant(ctx, 'write-rules')
      return setRiskIncidentRule(ctx.deps.pool, tenantId, args.id, args.input)
    },
  },
  RiskIncidentRule: {
    builtIn: (r: RiskIncidentRuleRecord) => r.builtin !== null,
  },
  RiskIncident: {
    incidentRule: (i: IncidentParent, _: unknown, ctx: RequestContext) => riskIncidentRuleById(ctx.deps.pool, i.tenantId, i.ruleId),
    riskEvents: (i: IncidentParent, args: { first?: number | null }, ctx: RequestContext) => riskEventsOfIncident(ctx.deps.pool, i.tenantId, i, pageSize(args.first, 100, 500)),
    rules: async (i: IncidentParent, _: unknown, ctx: RequestContext) => {
      const ids = await ruleIdsOfIncident(ctx.deps.pool, i.tenantId, i)
      const rows = ids.length === 0 ? [] : await ctx.deps.prisma.rule.findMany({ where: { tenantId: i.tenantId, id: { in: ids } } })
      return rows.sort((a, b) => a.name.localeCompare(b.name))
    },
  },
}
