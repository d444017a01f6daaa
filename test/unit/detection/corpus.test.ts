import { existsSync, readFileSync, readdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { checkRule, createMacroSet, lookupTechniques, parseRuleDocuments, type MacroDefinition, type RuleDefinition } from '../../../src/detection/index.js'

/**
 * The ESCU corpus (300 Endpoint.Processes detections and 40 macros) lives in the shared data folder
 * next to the repository (`../shared` from the repo root). When it is absent the suite is skipped,
 * and reported as skipped, rather than passing vacuously.
 */

const CORPUS = new URL('../../../../shared/datasets/escu-endpoint-processes/', import.meta.url)
const present = existsSync(fileURLToPath(CORPUS))

function yamlFiles(dir: URL): URL[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? yamlFiles(new URL(`${e.name}/`, dir)) : e.name.endsWith('.yml') ? [new URL(e.name, dir)] : [],
  )
}

const relative = (u: URL): string => u.href.slice(CORPUS.href.length)

describe.skipIf(!present)('ESCU corpus (shared/datasets/escu-endpoint-processes)', () => {
  const macros: MacroDefinition[] = []
  const rules: { file: string; rule: RuleDefinition }[] = []
  const importIssues: string[] = []
  if (present) {
    for (const url of yamlFiles(new URL('macros/', CORPUS))) {
      const parsed = parseRuleDocuments(readFileSync(url, 'utf8'), { file: relative(url) })
      macros.push(...parsed.macros)
      importIssues.push(...parsed.errors.map((e) => `${e.file}: ${e.message}`))
    }
    for (const url of yamlFiles(new URL('detections/', CORPUS))) {
      const parsed = parseRuleDocuments(readFileSync(url, 'utf8'), { file: relative(url) })
      rules.push(...parsed.rules.map((rule) => ({ file: relative(url), rule })))
      importIssues.push(...parsed.errors.filter((e) => e.severity === 'error').map((e) => `${e.file}: ${e.message}`))
    }
  }

  it('imports all 40 macros and all 300 detections without errors', () => {
    expect(importIssues).toEqual([])
    expect(macros).toHaveLength(40)
    expect(rules).toHaveLength(300)
  })

  it('compiles every detection against builtins + corpus macros', () => {
    const set = createMacroSet(macros)
    const failures = rules.flatMap(({ file, rule }) => {
      const check = checkRule(rule, set)
      return check.ok ? [] : [`${file}: ${check.message}`]
    })
    expect(failures).toEqual([])
  })

  it('knows every ATT&CK technique the corpus cites', () => {
    const ids = [...new Set(rules.flatMap(({ rule }) => rule.tags.mitreAttackIds))]
    const unknown = lookupTechniques(ids).filter((t) => t.tactics.length === 0)
    expect(unknown.map((t) => t.id)).toEqual([])
  })
})
