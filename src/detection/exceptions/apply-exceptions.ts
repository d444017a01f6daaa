import { compileQuery } from '../rule/compile.js'
import type { CompiledRule } from '../rule/compiled-rule.js'
import type { WhereNode } from '../spl/ast.js'
import { exceptionCondition } from './exception-condition.js'
import type { RuleException } from './rule-exception.js'

/** True while `exception` applies: it has no expiry, or its expiry is after `now`. */
export function isExceptionActive(exception: Pick<RuleException, 'expiresAt'>, now: Date): boolean {
  return exception.expiresAt === null || exception.expiresAt.getTime() > now.getTime()
}

/**
 * The rule to evaluate at `now`: `rule` with `AND NOT (<entries>)` conjoined to its tstats WHERE for
 * each exception active then, so excepted events are removed before grouping (at event level, as
 * Elastic's exceptions) by whichever backend runs the result. The caller picks the exceptions that
 * concern the rule (its own and the shared ones). Without active exceptions `rule` itself is
 * returned. An exception without entries is ignored rather than read as "every event".
 */
export function applyExceptions(rule: CompiledRule, exceptions: readonly RuleException[], now: Date): CompiledRule {
  const active = exceptions.filter((e) => e.entries.length > 0 && isExceptionActive(e, now))
  if (active.length === 0) return rule
  const excluded: WhereNode[] = active.map((e) => ({ kind: 'not', operand: exceptionCondition(e) }))
  const where: WhereNode = { kind: 'and', operands: rule.where === null ? excluded : [rule.where, ...excluded] }
  return compileQuery(rule.rule, { ...rule.query, where })
}
