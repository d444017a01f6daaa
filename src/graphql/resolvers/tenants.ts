import { InvalidInputError, NotFoundError } from '../../errors.js'
import { checkNewKey, createApiKey, listApiKeys, revokeApiKey } from '../../store/api-keys.js'
import { setRetentionDays } from '../../store/tenant-retention.js'
import { createTenant, deleteTenant, listTenants, setTenantStatus } from '../../store/tenants.js'
import { requireOperator, requireTenant } from '../context.js'
import type { Resolvers } from '../generated/resolver-types.js'

/** Tenants (the operator's business) and API keys (each tenant admin's). Keys are shown once. */
export const tenantResolvers: Resolvers = {
  Query: {
    tenants: (_, __, ctx) => {
      requireOperator(ctx)
      return listTenants(ctx.deps.prisma)
    },
    apiKeys: (_, __, ctx) => listApiKeys(ctx.deps.prisma, requireTenant(ctx, 'manage-keys').tenantId),
    tenant: async (_, __, ctx) => {
      const { tenantId } = requireTenant(ctx, 'read')
      const tenant = await ctx.deps.prisma.tenant.findFirst({ where: { id: tenantId } })
      if (!tenant) throw new NotFoundError('Tenant', tenantId)
      return tenant
    },
  },
  Mutation: {
    createTenant: async (_, args, ctx) => {
      requireOperator(ctx)
      const created = await createTenant(ctx.deps.prisma, args.name)
      return { tenant: await ctx.deps.prisma.tenant.findFirstOrThrow({ where: { id: created.tenant.id } }), apiKey: created.apiKey }
    },
    suspendTenant: (_, args, ctx) => {
      requireOperator(ctx)
      return setTenantStatus(ctx.deps.prisma, args.id, 'SUSPENDED')
    },
    resumeTenant: (_, args, ctx) => {
      requireOperator(ctx)
      return setTenantStatus(ctx.deps.prisma, args.id, 'ACTIVE')
    },
    deleteTenant: (_, args, ctx) => {
      requireOperator(ctx)
      return deleteTenant(ctx.deps.pool, args.id)
    },
    createApiKey: async (_, args, ctx) => {
      const { tenantId } = requireTenant(ctx, 'manage-keys')
      checkNewKey(args, new Date())
      const created = await createApiKey(ctx.deps.prisma, { tenantId, name: args.name, role: args.role, expiresAt: args.expiresAt ?? null })
      const apiKey = (await listApiKeys(ctx.deps.prisma, tenantId)).find((k) => k.id === created.id)!
      return { apiKey, key: created.key }
    },
    revokeApiKey: (_, args, ctx) =>
      revokeApiKey(ctx.deps.prisma, requireTenant(ctx, 'manage-keys').tenantId, args.id, new Date()),
    setRetentionPeriod: (_, args, ctx) => {
      const { tenantId } = requireTenant(ctx, 'manage-settings')
      // An omitted argument must not silently mean "keep forever".
      if (args.days === undefined) throw new InvalidInputError('days is required: a number of days from 1 to 3650, or null to keep events forever', { field: 'days' })
      return setRetentionDays(ctx.deps.prisma, tenantId, args.days)
    },
  },
}
