import type { PrismaClient } from '../db/prisma.js'
import { InvalidInputError } from '../errors.js'
import { listBundledRules, loadBundledMacros } from '../rules/bundled.js'
import { importRules, type RuleRow } from '../store/rules.js'
import { setRuleFixtures } from './rule-tests.js'

/**
 * The content Watchpost ships (src/rules): every tenant can see it and turn it on with one call.
 * Enabling imports the rule's YAML as written, the macros it needs, and its fixtures, so that
 * `testRule` works for it at once.
 */

export interface BundledRuleView {
  escuId: string
  name: string
  file: string
  /** The tenant's copy, when it has imported this rule. */
  rule: RuleRow | null
}

export async function listBundledForTenant(prisma: PrismaClient, tenantId: string): Promise<BundledRuleView[]> {
  const [bundled, own] = await Promise.all([listBundledRules(), prisma.rule.findMany({ where: { tenantId } })])
  const byEscuId = new Map(own.map((r) => [r.escuId, r]))
  return bundled.map((b) => ({ escuId: b.id, name: b.name, file: b.file, rule: byEscuId.get(b.id) ?? null }))
}

/** Imports and enables bundled rules (all of them when `escuIds` is null). */
export async function enableBundledRules(prisma: PrismaClient, tenantId: string, escuIds: string[] | null): Promise<RuleRow[]> {
  const bundled = await listBundledRules()
  const chosen = escuIds === null ? bundled : bundled.filter((b) => escuIds.includes(b.id))
  const unknown = (escuIds ?? []).filter((id) => !bundled.some((b) => b.id === id))
  if (unknown.length > 0) throw new InvalidInputError(`no bundled rule has the id ${unknown.join(', ')}`, { field: 'escuIds' })
  const macros = await loadBundledMacros()
  const stream = [...macros.map((m) => m.yaml), ...chosen.map((b) => b.yaml)].map((y) => (y.endsWith('\n') ? y : y + '\n')).join('---\n')
  const result = await importRules(prisma, tenantId, stream)
  if (result.errors.length > 0) throw new Error(`bundled content failed to import: ${result.errors.map((e) => e.message).join('; ')}`)
  const rows: RuleRow[] = []
  for (const b of chosen) {
    const row = result.rules.find((r) => r.escuId === b.id) ?? (await prisma.rule.findFirstOrThrow({ where: { tenantId, escuId: b.id } }))
    await setRuleFixtures(prisma, tenantId, row.id, [
      { name: 'bundled true positive', kind: 'TRUE_POSITIVE', log: b.fixtures.truePositive.toString('utf8') },
      { name: 'bundled true negative', kind: 'TRUE_NEGATIVE', log: b.fixtures.trueNegative.toString('utf8') },
    ])
    rows.push(row.enabled ? row : await prisma.rule.update({ where: { id: row.id }, data: { enabled: true } }))
  }
  return rows
}
