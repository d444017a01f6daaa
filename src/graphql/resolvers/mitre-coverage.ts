import { loadAttackCoverage, loadNavigatorLayer } from '../../attack-coverage/load-coverage.js'
import { requireTenant, type RequestContext } from '../context.js'

/** ATT&CK coverage of the tenant's rules, as a matrix and as a Navigator layer (readers and up). */
export const mitreCoverageResolvers = {
  Query: {
    mitreCoverage: (_: unknown, args: { includeUncovered?: boolean | null }, ctx: RequestContext) => {
      const { tenantId } = requireTenant(ctx, 'read')
      return loadAttackCoverage(ctx.deps.pool, tenantId, { includeUncovered: args.includeUncovered ?? false })
    },
    mitreCoverageLayer: (_: unknown, __: unknown, ctx: RequestContext) => {
      const { tenantId } = requireTenant(ctx, 'read')
      return loadNavigatorLayer(ctx.deps.pool, tenantId, new Date())
    },
  },
}
