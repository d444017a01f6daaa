import type { PrismaClient } from '../db/prisma.js'
import { applyExceptions, compileRule, type CompiledRule, type RuleDefinition } from '../detection/index.js'
import { NotFoundError } from '../errors.js'
import { alertingOf, type RuleAlerting } from './detection-alerting.js'
import { exceptionsInForce } from './rule-exceptions.js'
import { isUuid, loadMacroSet } from './rules.js'

/** A compiled rule together with the id of its row, so detections can reference it. */
export interface TenantRule {
  ruleId: string
  revision: number
  compiled: CompiledRule
  /** Suppression and cap of new detections (store/detection-alerting.ts). */
  alerting: RuleAlerting
}

export interface LoadedRules {
  rules: TenantRule[]
  /** Rules that no longer compile (e.g. a macro they use was changed since import). */
  failures: { ruleId: string; name: string; message: string }[]
}

/**
 * Compiles every enabled rule of a tenant against the tenant's current macros, with the exceptions
 * in force at `now` (the evaluation time; expired ones are not applied).
 */
export async function loadEnabledRules(prisma: PrismaClient, tenantId: string, now: Date = new Date()): Promise<LoadedRules> {
  const rows = await prisma.rule.findMany({ where: { tenantId, enabled: true }, orderBy: { id: 'asc' } })
  return compileTenantRules(prisma, tenantId, rows, now)
}

/** Which rules loadRulesForEvaluation loads, and when they are evaluated. */
export interface EvaluationRuleSelection {
  /** Exactly these rules, enabled or not; an id the tenant does not have is NOT_FOUND. Default: the enabled rules. */
  ruleIds?: readonly string[]
  /** The evaluation time: exceptions that expire at or before it are not applied. Default: the current time. */
  now?: Date
}

/** The tenant's enabled rules, or the rules it names, compiled with their exceptions for evaluation. */
export async function loadRulesForEvaluation(prisma: PrismaClient, tenantId: string, selection: EvaluationRuleSelection = {}): Promise<LoadedRules> {
  const now = selection.now ?? new Date()
  if (selection.ruleIds === undefined) return loadEnabledRules(prisma, tenantId, now)
  const ids = [...new Set(selection.ruleIds)]
  const rows = await prisma.rule.findMany({ where: { tenantId, id: { in: ids.filter(isUuid) } }, orderBy: { id: 'asc' } })
  const found = new Set(rows.map((r) => r.id))
  const missing = ids.find((id) => !found.has(id))
  if (missing !== undefined) throw new NotFoundError('Rule', missing)
  return compileTenantRules(prisma, tenantId, rows, now)
}

/**
 * Compiles rule rows of a tenant against the tenant's current macros, each with the exceptions in
 * force at `now` — its own and the shared ones — conjoined to its WHERE (detection/exceptions), so
 * that every backend that runs the result leaves the excepted events out. This is the one place
 * where exceptions join evaluation.
 */
export async function compileTenantRules(
  prisma: PrismaClient,
  tenantId: string,
  rows: readonly ({ id: string; name: string; revision: number; definition: unknown } & Parameters<typeof alertingOf>[0])[],
  now: Date = new Date(),
): Promise<LoadedRules> {
  const [macros, exceptions] = await Promise.all([
    loadMacroSet(prisma, tenantId),
    exceptionsInForce(prisma, tenantId, now, rows.map((r) => r.id)),
  ])
  const out: LoadedRules = { rules: [], failures: [] }
  for (const row of rows) {
    try {
      const compiled = compileRule(row.definition as unknown as RuleDefinition, macros)
      const applicable = [...(exceptions.byRule.get(row.id) ?? []), ...exceptions.shared]
      out.rules.push({ ruleId: row.id, revision: row.revision, compiled: applyExceptions(compiled, applicable, now), alerting: alertingOf(row) })
    } catch (err) {
      out.failures.push({ ruleId: row.id, name: row.name, message: (err as Error).message })
    }
  }
  return out
}
