import { pageSize } from '../../store/cursor.js'
import {
  listRiskIncidentRules,
  queryRiskIncidents,
  riskEventsOfIncident,
  riskIncidentRuleById,
  ruleIdsOfIncident,
  setRiskIncidentRule,
  setRiskIncidentStatus,
} from '../../store/risk-incidents.js'
import { requireTenant } from '../context.js'
import type { Resolvers } from '../generated/resolver-types.js'
import { requiredRow } from '../required-row.js'

/** Risk incidents (src/store/risk-incidents.ts): read by every reading key, triaged and tuned by analyst and admin keys. */

export const riskIncidentResolvers: Resolvers = {
  Query: {
    riskIncidents: async (_, args, ctx) => {
      const { tenantId } = requireTenant(ctx, 'read')
      const filter = args.filter ?? {}
      const page = await queryRiskIncidents(ctx.deps.pool, { tenantId, ...filter, first: pageSize(args.first, 50, 500), after: args.after })
      return {
        edges: page.records.map((r) => ({ cursor: r.cursor, node: { ...r.record, tenantId } })),
        pageInfo: { hasNextPage: page.hasNextPage, endCursor: page.records.at(-1)?.cursor ?? null },
        totalCount: page.totalCount,
      }
    },
    riskIncidentRules: (_, __, ctx) => {
      const { tenantId } = requireTenant(ctx, 'read')
      return listRiskIncidentRules(ctx.deps.pool, tenantId)
    },
  },
  Mutation: {
    setRiskIncidentStatus: async (_, args, ctx) => {
      const { tenantId } = requireTenant(ctx, 'triage')
      return { ...(await setRiskIncidentStatus(ctx.deps.pool, tenantId, args.id, args.status)), tenantId }
    },
    setRiskIncidentRule: (_, args, ctx) => {
      const { tenantId } = requireTenant(ctx, 'write-rules')
      return setRiskIncidentRule(ctx.deps.pool, tenantId, args.id, args.input)
    },
  },
  RiskIncidentRule: {
    builtIn: (r) => r.builtin !== null,
  },
  RiskIncident: {
    incidentRule: async (i, _, ctx) => requiredRow(await riskIncidentRuleById(ctx.deps.pool, i.tenantId, i.ruleId), `risk incident rule ${i.ruleId} of incident ${i.id}`),
    riskEvents: (i, args, ctx) => riskEventsOfIncident(ctx.deps.pool, i.tenantId, i, pageSize(args.first, 100, 500)),
    rules: async (i, _, ctx) => {
      const ids = await ruleIdsOfIncident(ctx.deps.pool, i.tenantId, i)
      const rows = ids.length === 0 ? [] : await ctx.deps.prisma.rule.findMany({ where: { tenantId: i.tenantId, id: { in: ids } } })
      return rows.sort((a, b) => a.name.localeCompare(b.name))
    },
  },
}
