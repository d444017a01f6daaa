import type { PrismaClient } from '../db/prisma.js'
import type { RuleDefinition } from '../detection/index.js'
import type { TenantRule } from '../store/tenant-rules.js'
import { compileTenantRules } from '../store/tenant-rules.js'

/**
 * Which rules a scan runs. A schedule names all enabled rules, some rule ids, or tags; runScan and
 * rescanUpload name ids (or nothing: all enabled rules). Named ids run even when disabled: naming a
 * rule is the intent to run it (a detection engineer trying a rule on past data before enabling it).
 */
export interface RuleSelection {
  all?: boolean
  ruleIds?: readonly string[]
  /** Analytic stories or ATT&CK technique ids (a technique also selects its sub-techniques); any matches. */
  tags?: readonly string[]
}

/** A tag matches a rule's analytic story (case-insensitive) or ATT&CK id (T1059 selects T1059.001). */
export function ruleHasTag(definition: RuleDefinition, tag: string): boolean {
  const t = tag.trim().toLowerCase()
  if (t === '') return false
  if (definition.tags.analyticStories.some((s) => s.toLowerCase() === t)) return true
  return definition.tags.mitreAttackIds.some((id) => {
    const lower = id.toLowerCase()
    return lower === t || lower.startsWith(`${t}.`)
  })
}

/**
 * The ids of the rules `selection` names: all enabled rules (also when it names nothing), or the
 * named ids plus the enabled rules with one of the tags. Unknown ids are the caller's to refuse.
 */
export async function selectRuleIds(prisma: PrismaClient, tenantId: string, selection: RuleSelection): Promise<string[]> {
  const ids = new Set(selection.ruleIds ?? [])
  const tags = selection.tags ?? []
  const everyEnabled = selection.all === true || (ids.size === 0 && tags.length === 0)
  if (everyEnabled || tags.length > 0) {
    const enabled = await prisma.rule.findMany({ where: { tenantId, enabled: true }, select: { id: true, definition: true }, orderBy: { id: 'asc' } })
    for (const r of enabled) {
      if (everyEnabled || tags.some((t) => ruleHasTag(r.definition as unknown as RuleDefinition, t))) ids.add(r.id)
    }
  }
  return [...ids].sort()
}

/** The rule ids among `ids` that the tenant does not have. */
export async function unknownRuleIds(prisma: PrismaClient, tenantId: string, ids: readonly string[]): Promise<string[]> {
  if (ids.length === 0) return []
  const found = await prisma.rule.findMany({ where: { tenantId, id: { in: [...ids] } }, select: { id: true } })
  const known = new Set(found.map((r) => r.id))
  return ids.filter((id) => !known.has(id))
}

/** Compiles the tenant's rules `ids` for a scan (with the tenant's macros), reporting those that fail. */
export async function loadScanRules(prisma: PrismaClient, tenantId: string, ids: readonly string[]): Promise<{ rules: TenantRule[]; failures: { ruleId: string; name: string; message: string }[] }> {
  const rows = await prisma.rule.findMany({ where: { tenantId, id: { in: [...ids] } }, orderBy: { id: 'asc' } })
  return compileTenantRules(prisma, tenantId, rows)
}
