import { parseAidmaster } from '../../hosts/parse-aidmaster.js'
import { countCrowdstrikeHosts, upsertCrowdstrikeHosts } from '../../store/crowdstrike-hosts.js'
import { requireTenant } from '../context.js'
import type { Resolvers } from '../generated/resolver-types.js'

/** The tenant's CrowdStrike aidmaster inventory. */
export const hostResolvers: Resolvers = {
  Query: {
    crowdStrikeHostCount: (_, __, ctx) => countCrowdstrikeHosts(ctx.deps.pool, requireTenant(ctx, 'read').tenantId),
  },
  Mutation: {
    importCrowdStrikeHosts: async (_, args, ctx) => {
      const { tenantId } = requireTenant(ctx, 'write-rules')
      const parsed = parseAidmaster(args.data)
      const counts = await upsertCrowdstrikeHosts(ctx.deps.pool, tenantId, parsed.hosts)
      return { ...counts, errors: parsed.errors.slice(0, 1000).map((e) => ({ ...e, offset: 0 })) }
    },
  },
}
