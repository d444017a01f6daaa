import { loadAttackCoverage, loadNavigatorLayer } from '../../attack-coverage/load-coverage.js'
import { requireTenant } from '../context.js'
import type { Resolvers } from '../generated/resolver-types.js'

/** ATT&CK coverage of the tenant's rules, as a matrix and as a Navigator layer (readers and up). */
export const mitreCoverageResolvers: Resolvers = {
  Query: {
    mitreCoverage: (_, args, ctx) => {
      const { tenantId } = requireTenant(ctx, 'read')
      return loadAttackCoverage(ctx.deps.pool, tenantId, { includeUncovered: args.includeUncovered ?? false })
    },
    mitreCoverageLayer: (_, __, ctx) => {
      const { tenantId } = requireTenant(ctx, 'read')
      return loadNavigatorLayer(ctx.deps.pool, tenantId, new Date())
    },
  },
}
