import { isExceptionActive } from '../../detection/index.js'
import {
  createRuleException,
  deleteRuleException,
  exceptionsOfRule,
  listRuleExceptions,
  updateRuleException,
  type RuleExceptionRecord,
} from '../../store/rule-exceptions.js'
import { findRule } from '../../store/rules.js'
import { requireTenant } from '../context.js'
import type { Resolvers } from '../generated/resolver-types.js'
import type { RuleExceptionParent } from '../resolver-parents.js'

/**
 * Rule exceptions (src/store/rule-exceptions.ts): read by every reading key, changed by the keys
 * that may change rules (analyst and admin). Each change is audited (src/audit/operation-summaries.ts).
 */

const withTenant = (tenantId: string) => (r: RuleExceptionRecord): RuleExceptionParent => ({ ...r, tenantId })

export const ruleExceptionResolvers: Resolvers = {
  Query: {
    ruleExceptions: async (_, args, ctx) => {
      const { tenantId } = requireTenant(ctx, 'read')
      const rows = await listRuleExceptions(ctx.deps.prisma, tenantId, { ruleId: args.ruleId, includeExpired: args.includeExpired, now: new Date() })
      return rows.map(withTenant(tenantId))
    },
  },
  Mutation: {
    createRuleException: async (_, args, ctx) => {
      const { tenantId, keyId } = requireTenant(ctx, 'write-rules')
      return withTenant(tenantId)(await createRuleException(ctx.deps.prisma, { tenantId, keyId }, args.input))
    },
    updateRuleException: async (_, args, ctx) => {
      const { tenantId, keyId } = requireTenant(ctx, 'write-rules')
      return withTenant(tenantId)(await updateRuleException(ctx.deps.prisma, { tenantId, keyId }, args.id, args.input))
    },
    deleteRuleException: (_, args, ctx) =>
      deleteRuleException(ctx.deps.prisma, requireTenant(ctx, 'write-rules').tenantId, args.id),
  },
  RuleException: {
    rule: (e, _, ctx) => (e.ruleId === null ? null : findRule(ctx.deps.prisma, e.tenantId, e.ruleId)),
    shared: (e) => e.ruleId === null,
    expired: (e) => !isExceptionActive(e, new Date()),
  },
  Rule: {
    exceptions: async (r, _, ctx) => {
      const rows = await exceptionsOfRule(ctx.deps.prisma, r.tenantId, r.id, new Date())
      return rows.map(withTenant(r.tenantId))
    },
  },
}
