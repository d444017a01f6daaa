import { parseAidmaster } from '../../hosts/parse-aidmaster.js'
import { countCrowdstrikeHosts, upsertCrowdstrikeHosts } from '../../store/crowdstrike-hosts.js'
import { requireTenant, type RequestContext } from '../context.js'

/** The tenant's CrowdStrike aidmaster inventory. */
export const hostResolvers = {
  Query: {
    crowdStrikeHostCount: (_: unknown, __: unknown, ctx: RequestContext) => countCrowdstrikeHosts(ctx.deps.pool, requireTenant(ctx, 'read').tenantId),
  },
  Mutation: {
    importCrowdStrikeHosts: async (_: unknown, args: { data: string }, ctx: RequestContext) => {
      const { tenantId } = requireTenant(ctx, 'write-rules')
      const parsed = parseAidmaster(args.data)
      const counts = await upsertCrowdstrikeHosts(ctx.deps.pool, tenantId, parsed.hosts)
      return { ...counts, errors: parsed.errors.slice(0, 1000).map((e) => ({ ...e, offset: 0 })) }
    },
  },
}
