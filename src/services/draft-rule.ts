import {
  checkRule,
  formatWhere,
  parseRuleDocuments,
  type CompiledRule,
  type RuleDefinition,
} from '../detection/index.js'
import type { PrismaClient } from '../db/prisma.js'
import { InvalidInputError } from '../errors.js'
import { loadMacroSet, type ImportIssue } from '../store/rules.js'
import { checkRuleYamlSize } from './rule-yaml-size.js'

/**
 * A rule that is not stored: YAML a detection engineer is still writing, compiled against the
 * tenant's macros (and any macros in the same YAML) for validation, previews and impact checks.
 */

export interface ValidatedRule {
  escuId: string
  name: string
  /** The WHERE clause after macro expansion, in a normalized readable form. */
  condition: string
  byFields: string[]
  aggregations: string[]
  filterMacro: string
}

export interface Validation {
  valid: boolean
  rules: ValidatedRule[]
  errors: ImportIssue[]
  /** The compiled rules, for callers that run them. */
  compiled: CompiledRule[]
}

export async function validateRuleYaml(prisma: PrismaClient, tenantId: string, yaml: string): Promise<Validation> {
  checkRuleYamlSize(yaml)
  const parsed = parseRuleDocuments(yaml)
  const macros = await loadMacroSet(prisma, tenantId, parsed.macros)
  const errors: ImportIssue[] = parsed.errors
    .filter((e) => e.severity !== 'warning')
    .map((e) => ({ document: e.document ?? 0, line: e.line ?? null, column: e.column ?? null, field: e.field ?? null, message: e.message }))
  const compiled: CompiledRule[] = []
  parsed.rules.forEach((rule: RuleDefinition) => {
    const check = checkRule(rule, macros)
    if (check.ok) compiled.push(check.compiled)
    else errors.push({ document: rule.document, line: check.line, column: check.column, field: 'search', message: check.reason })
  })
  const rules = compiled.map((c) => ({
    escuId: c.rule.id,
    name: c.rule.name,
    condition: formatWhere(c.where),
    byFields: [...c.byFields],
    aggregations: c.aggregations.map((a) => a.outputName),
    filterMacro: c.rule.filterMacroName,
  }))
  return { valid: errors.length === 0 && compiled.length > 0, rules, errors: errors.sort((a, b) => a.document - b.document), compiled }
}

/** Compiles YAML that must hold exactly one detection, or says precisely why it cannot be run. */
export async function compileDraftRule(prisma: PrismaClient, tenantId: string, yaml: string): Promise<CompiledRule> {
  const v = await validateRuleYaml(prisma, tenantId, yaml)
  const first = v.errors[0]
  if (first) {
    const where = first.line !== null ? ` (${first.field ?? 'yaml'} line ${first.line}, column ${first.column})` : first.field ? ` (${first.field})` : ''
    throw new InvalidInputError(`the draft rule is invalid: ${first.message}${where}`, { field: 'yaml', document: first.document, line: first.line, column: first.column })
  }
  if (v.compiled.length !== 1) throw new InvalidInputError(`the draft must contain exactly one detection, found ${v.compiled.length}`, { field: 'yaml' })
  return v.compiled[0]!
}
