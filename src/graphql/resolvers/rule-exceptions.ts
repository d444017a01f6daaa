import { isExceptionActive } from '../../detection/index.js'
import {
  createRuleException,
  deleteRuleException,
  exceptionsOfRule,
  listRuleExceptions,
  updateRuleException,
  type NewRuleException,
  type RuleExceptionChange,
  type RuleExceptionRecord,
} from '../../store/rule-exceptions.js'
import { findRule, type RuleRow } from '../../store/rules.js'
import { requireTenant, type RequestContext } from '../context.js'

/**
 * Rule exceptions (src/store/rule-exceptions.ts): read by every reading key, changed by the keys
 * that may change rules (analyst and admin). Each change is audited (src/audit/operation-summaries.ts).
 */

type ExceptionParent = RuleExceptionRecord & { tenantId: string }

const withTenant = (tenantId: string) => (r: RuleExceptionRecord): ExceptionParent => ({ ...r, tenantId })

export const ruleExceptionResolvers = {
  Query: {
    ruleExceptions: async (_: unknown, args: { ruleId?: string | null; includeExpired?: boolean | null }, ctx: RequestContext) => {
      const { tenantId } = requireTenant(ctx, 'read')
      const rows = await listRuleExceptions(ctx.deps.prisma, tenantId, { ruleId: args.ruleId, includeExpired: args.includeExpired, now: new Date() })
      return rows.map(withTenant(tenantId))
    },
  },
  Mutation: {
    createRuleException: async (_: unknown, args: { input: NewRuleException }, ctx: RequestContext) => {
      const { tenantId, keyId } = requireTenant(ctx, 'write-rules')
      return withTenant(tenantId)(await createRuleException(ctx.deps.prisma, { tenantId, keyId }, args.input))
    },
    updateRuleException: async (_: unknown, args: { id: string; input: RuleExceptionChange }, ctx: RequestContext) => {
      const { tenantId, keyId } = requireTenant(ctx, 'write-rules')
      return withTenant(tenantId)(await updateRuleException(ctx.deps.prisma, { tenantId, keyId }, args.id, args.input))
    },
    deleteRuleException: (_: unknown, args: { id: string }, ctx: RequestContext) =>
      deleteRuleException(ctx.deps.prisma, requireTenant(ctx, 'write-rules').tenantId, args.id),
  },
  RuleException: {
    rule: (e: ExceptionParent, _: unknown, ctx: RequestContext) => (e.ruleId === null ? null : findRule(ctx.deps.prisma, e.tenantId, e.ruleId)),
    shared: (e: ExceptionParent) => e.ruleId === null,
    expired: (e: ExceptionParent) => !isExceptionActive(e, new Date()),
  },
  Rule: {
    exceptions: async (r: RuleRow, _: unknown, ctx: RequestContext) => {
      const rows = await exceptionsOfRule(ctx.deps.prisma, r.tenantId, r.id, new Date())
      return rows.map(withTenant(r.tenantId))
    },
  },
}
