import type { PrismaClient } from '../db/prisma.js'
import { compileRule, type CompiledRule, type RuleDefinition } from '../detection/index.js'
import { loadMacroSet } from './rules.js'

/** A compiled rule together with the id of its row, so detections can reference it. */
export interface TenantRule {
  ruleId: string
  revision: number
  compiled: CompiledRule
}

export interface LoadedRules {
  rules: TenantRule[]
  /** Enabled rules that no longer compile (e.g. a macro they use was changed since import). */
  failures: { ruleId: string; name: string; message: string }[]
}

/** Compiles every enabled rule of a tenant against the tenant's current macros. */
export async function loadEnabledRules(prisma: PrismaClient, tenantId: string): Promise<LoadedRules> {
  const [rows, macros] = await Promise.all([
    prisma.rule.findMany({ where: { tenantId, enabled: true }, orderBy: { id: 'asc' } }),
    loadMacroSet(prisma, tenantId),
  ])
  const out: LoadedRules = { rules: [], failures: [] }
  for (const row of rows) {
    try {
      out.rules.push({ ruleId: row.id, revision: row.revision, compiled: compileRule(row.definition as unknown as RuleDefinition, macros) })
    } catch (err) {
      out.failures.push({ ruleId: row.id, name: row.name, message: (err as Error).message })
    }
  }
  return out
}
