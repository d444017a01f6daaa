import type { Prisma } from '../generated/prisma/client.js'
import type { PrismaClient } from '../db/prisma.js'
import {
  checkRule,
  lookupTechniques,
  createMacroSet,
  parseRuleDocuments,
  type MacroDefinition,
  type MacroSet,
  type RuleDefinition,
  type RuleIssue,
} from '../detection/index.js'
import { NotFoundError } from '../errors.js'

/**
 * Rules and macros are tenant data: ESCU YAML imported as written, kept verbatim beside its parsed
 * form. A detection that does not compile against the tenant's macros is refused with its position.
 */

export type RuleRow = Prisma.RuleGetPayload<object>

export interface ImportIssue {
  document: number
  line: number | null
  column: number | null
  field: string | null
  message: string
}

export interface ImportResult {
  rules: RuleRow[]
  macros: string[]
  errors: ImportIssue[]
}

const toIssue = (e: RuleIssue): ImportIssue => ({
  document: e.document ?? 0,
  line: e.line ?? null,
  column: e.column ?? null,
  field: e.field ?? null,
  message: e.message,
})

/** Splunk's key for a macro: `name` or `name(N)` for N arguments. */
export const macroKey = (m: MacroDefinition): string => (m.args.length > 0 ? `${m.name}(${m.args.length})` : m.name)

/** The tenant's macro set: builtins, then the tenant's own definitions. */
export async function loadMacroSet(prisma: PrismaClient, tenantId: string, extra: MacroDefinition[] = []): Promise<MacroSet> {
  const stored = await prisma.macro.findMany({ where: { tenantId }, orderBy: { name: 'asc' } })
  const own: MacroDefinition[] = stored.map((m) => ({ name: m.name.replace(/\(\d+\)$/, ''), args: m.arguments, definition: m.definition }))
  return createMacroSet([...own, ...extra])
}

/** Imports a YAML stream of detections and macros for a tenant. */
export async function importRules(prisma: PrismaClient, tenantId: string, yaml: string): Promise<ImportResult> {
  const parsed = parseRuleDocuments(yaml)
  const errors = parsed.errors.map(toIssue)
  const macros = await loadMacroSet(prisma, tenantId, parsed.macros)
  const accepted: { rule: RuleDefinition; document: number }[] = []
  parsed.rules.forEach((rule, i) => {
    const check = checkRule(rule, macros)
    const document = rule.document ?? i
    if (check.ok) accepted.push({ rule, document })
    else errors.push({ document, line: check.line ?? null, column: check.column ?? null, field: 'search', message: check.reason })
  })
  const macroKeys: string[] = []
  const rules = await prisma.$transaction(async (tx) => {
    for (const m of parsed.macros) {
      const name = macroKey(m)
      macroKeys.push(name)
      await tx.macro.upsert({
        where: { tenantId_name: { tenantId, name } },
        create: { tenantId, name, arguments: m.args, definition: m.definition, yaml: m.yaml ?? '' },
        update: { arguments: m.args, definition: m.definition, yaml: m.yaml ?? '' },
      })
    }
    const out: RuleRow[] = []
    for (const { rule } of accepted) {
      out.push(await upsertRuleRevision(tx, tenantId, rule))
    }
    return out
  })
  errors.sort((a, b) => a.document - b.document)
  return { rules, macros: macroKeys, errors }
}

type Tx = Parameters<Parameters<PrismaClient['$transaction']>[0]>[0]

/**
 * Creates the rule, or records a new revision when the YAML changed. Importing the same YAML
 * again changes nothing, so re-running an import is harmless.
 */
async function upsertRuleRevision(tx: Tx, tenantId: string, rule: RuleDefinition): Promise<RuleRow> {
  const definition = rule as unknown as Prisma.InputJsonValue
  const existing = await tx.rule.findFirst({ where: { tenantId, escuId: rule.id } })
  if (existing && existing.yaml === rule.yaml) return existing
  const revision = existing ? existing.revision + 1 : 1
  const data = { name: rule.name, version: rule.version ?? null, yaml: rule.yaml, definition, revision }
  const row = existing
    ? await tx.rule.update({ where: { id: existing.id }, data })
    : await tx.rule.create({ data: { tenantId, escuId: rule.id, ...data } })
  await tx.ruleVersion.create({ data: { ruleId: row.id, tenantId, revision, version: rule.version ?? null, yaml: rule.yaml, definition } })
  return row
}

export interface RuleFilter {
  mitreTechnique?: string | null
  tactic?: string | null
  analyticStory?: string | null
  type?: string | null
  status?: string | null
  enabled?: boolean | null
  search?: string | null
}

/** The tenant's rules by name, filtered on their ESCU metadata (case-insensitive). */
export async function listRules(prisma: PrismaClient, tenantId: string, filter: RuleFilter = {}): Promise<RuleRow[]> {
  const rows = await prisma.rule.findMany({
    where: { tenantId, ...(filter.enabled != null ? { enabled: filter.enabled } : {}) },
    orderBy: [{ name: 'asc' }, { id: 'asc' }],
  })
  const eq = (a: string | null | undefined, b: string): boolean => (a ?? '').toLowerCase() === b.toLowerCase()
  return rows.filter((row) => {
    const d = row.definition as unknown as RuleDefinition
    if (filter.mitreTechnique && !d.tags.mitreAttackIds.some((t) => eq(t, filter.mitreTechnique!))) return false
    if (filter.tactic && !lookupTechniques(d.tags.mitreAttackIds).some((t) => t.tactics.some((x) => eq(x, filter.tactic!)))) return false
    if (filter.analyticStory && !d.tags.analyticStories.some((s) => eq(s, filter.analyticStory!))) return false
    if (filter.type && !eq(d.type, filter.type)) return false
    if (filter.status && !eq(d.status, filter.status)) return false
    if (filter.search && !row.name.toLowerCase().includes(filter.search.toLowerCase())) return false
    return true
  })
}

/** Deletes a rule with its history, fixtures, detections and risk events. */
export async function deleteRule(prisma: PrismaClient, tenantId: string, id: string): Promise<string> {
  const rule = await findRule(prisma, tenantId, id)
  if (!rule) throw new NotFoundError('Rule', id)
  await prisma.$transaction(async (tx) => {
    await tx.riskEvent.deleteMany({ where: { tenantId, ruleId: rule.id } })
    const detections = await tx.detection.findMany({ where: { tenantId, ruleId: rule.id }, select: { id: true } })
    await tx.detectionContribution.deleteMany({ where: { detectionId: { in: detections.map((d) => d.id) } } })
    await tx.detection.deleteMany({ where: { tenantId, ruleId: rule.id } })
    await tx.rule.delete({ where: { id: rule.id } })
  })
  return rule.id
}

/** The rules' YAML exactly as imported, as one multi-document stream. */
export function exportRulesYaml(rules: RuleRow[]): string {
  return rules.map((r) => (r.yaml.endsWith('\n') ? r.yaml : r.yaml + '\n')).join('---\n')
}

export async function findRule(prisma: PrismaClient, tenantId: string, id: string): Promise<RuleRow | null> {
  if (!isUuid(id)) return null
  return prisma.rule.findFirst({ where: { id, tenantId } })
}

export async function setRuleEnabled(prisma: PrismaClient, tenantId: string, id: string, enabled: boolean): Promise<RuleRow> {
  const rule = await findRule(prisma, tenantId, id)
  if (!rule) throw new NotFoundError('Rule', id)
  return prisma.rule.update({ where: { id: rule.id }, data: { enabled } })
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
/** Ids are UUIDs; anything else cannot exist, and must not reach Postgres as a cast error. */
export const isUuid = (id: string): boolean => UUID.test(id)
