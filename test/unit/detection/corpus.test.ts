import { describe, expect, it } from 'vitest'
import { checkRule, createMacroSet, lookupTechniques } from '../../../src/detection/index.js'
import { corpusPresent, loadEscuCorpus } from './escu-corpus.js'

describe.skipIf(!corpusPresent)('ESCU corpus (shared/datasets/escu-endpoint-processes)', () => {
  const { macros, rules, macroIssues, ruleIssues } = corpusPresent ? loadEscuCorpus() : { macros: [], rules: [], macroIssues: [], ruleIssues: [] }
  const importIssues = [...macroIssues, ...ruleIssues.filter((e) => e.severity === 'error')].map((e) => `${e.file}: ${e.message}`)

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
