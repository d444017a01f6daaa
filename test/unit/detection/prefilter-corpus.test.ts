import { describe, expect, it } from 'vitest'
import {
  DetectionAggregator,
  compileRule,
  createMacroSet,
  eventFieldOf,
  type CimProcessField,
  type CompiledRule,
  type ExtractedProcessFields,
  type ProcessEvent,
  type WhereNode,
} from '../../../src/detection/index.js'
import { EventContext } from '../../../src/detection/match/event-context.js'
import { RuleIndex } from '../../../src/detection/prefilter/rule-index.js'
import { corpusPresent, loadEscuCorpus } from './escu-corpus.js'
import { processEvent } from './helpers.js'
import { mulberry32 as prng } from '../ingest/helpers/synthetic-sysmon.js'

/**
 * The prefilter over the whole ESCU corpus: events are built from the values the rules' own WHERE
 * clauses test (a witness per rule, plus random mixes of those values), so that many rules fire,
 * and every rule's result must be the same whether the index selected it or not.
 */

type Fragments = Map<CimProcessField, string[]>

/** A value matching `pattern`, with wildcards filled by short junk and letters in random case. */
function instantiate(pattern: string, rand: () => number): string {
  const filled = pattern.replace(/\*/g, () => ['', ' ', ' x ', '\\'][Math.floor(rand() * 4)]!)
  return [...filled].map((c) => (rand() < 0.3 ? c.toUpperCase() : c)).join('')
}

/** Values that would satisfy `node` (a best effort: one branch of each OR, nothing for NOT). */
function witness(node: WhereNode, rand: () => number, into: Fragments): void {
  const add = (field: string, pattern: string): void => {
    const f = eventFieldOf(field)
    if (f === null) return
    into.set(f, [...(into.get(f) ?? []), instantiate(pattern, rand)])
  }
  switch (node.kind) {
    case 'compare':
      if (node.op === 'eq') add(node.field, node.value)
      return
    case 'in':
      add(node.field, node.values[Math.floor(rand() * node.values.length)]!)
      return
    case 'and':
      for (const o of node.operands) witness(o, rand, into)
      return
    case 'or':
      witness(node.operands[Math.floor(rand() * node.operands.length)]!, rand, into)
      return
    case 'not':
    case 'all':
      return
  }
}

/** Every (field, pattern) a tree tests, for random mixes. */
function patternsOf(node: WhereNode, out: [string, string][]): void {
  if (node.kind === 'compare') out.push([node.field, node.value])
  else if (node.kind === 'in') for (const v of node.values) out.push([node.field, v])
  else if (node.kind === 'not') patternsOf(node.operand, out)
  else if (node.kind === 'and' || node.kind === 'or') for (const o of node.operands) patternsOf(o, out)
}

const SUBSTRING_FIELDS = new Set<CimProcessField>(['process', 'parent_process'])

function eventOf(fragments: Fragments, time: number): ProcessEvent {
  const raw: Record<string, string> = { dest: `host-${time % 7}`, process_guid: `{${time}}`, user: 'CORP\\alice' }
  for (const [field, values] of fragments) raw[field] = SUBSTRING_FIELDS.has(field) ? values.join(' ') : values[values.length - 1]!
  return processEvent(time, raw as ExtractedProcessFields)
}

describe.skipIf(!corpusPresent)('rule prefilter over the ESCU corpus', () => {
  const corpus = corpusPresent ? loadEscuCorpus() : { macros: [], rules: [] }
  const macros = createMacroSet(corpus.macros)
  const rules: CompiledRule[] = corpus.rules.map(({ rule }) => compileRule(rule, macros))
  const rand = prng(7)
  const events: ProcessEvent[] = []
  for (const r of rules) {
    for (let k = 0; k < 3 && r.where !== null; k++) {
      const f: Fragments = new Map()
      witness(r.where, rand, f)
      events.push(eventOf(f, events.length))
    }
  }
  const pool: [string, string][] = []
  for (const r of rules) if (r.where !== null) patternsOf(r.where, pool)
  // A skipped suite's body still runs to collect its tests: without the corpus the pool is empty.
  for (let i = 0; pool.length > 0 && i < 1500; i++) {
    const f: Fragments = new Map()
    for (let k = 1 + Math.floor(rand() * 4); k > 0; k--) {
      const [field, pattern] = pool[Math.floor(rand() * pool.length)]!
      const cim = eventFieldOf(field)
      if (cim !== null) f.set(cim, [...(f.get(cim) ?? []), instantiate(pattern, rand)])
    }
    events.push(eventOf(f, events.length))
  }

  it('selects, for every event, every rule that matches it', () => {
    const index = new RuleIndex(rules)
    const ctx = new EventContext()
    const missed: string[] = []
    const fired = new Set<number>()
    for (const e of events) {
      ctx.reset(e)
      const selected = new Set(index.selected.subarray(0, index.select(ctx)))
      rules.forEach((r, i) => {
        if (!r.matches(e)) return
        fired.add(i)
        if (!selected.has(i)) missed.push(`${r.rule.name}: ${e.process_name} / ${e.process}`)
      })
    }
    expect(missed).toEqual([])
    console.log(`prefilter corpus check: ${events.length} events, ${fired.size} of ${rules.length} rules fire at least once`)
    expect(fired.size).toBeGreaterThan(rules.length * 0.9)
  })

  it('yields the same rows as evaluating every rule on every event', () => {
    const run = (prefilter: boolean) => {
      const agg = new DetectionAggregator(rules, { prefilter })
      for (const e of events) agg.add(e)
      return agg.rows()
    }
    const indexed = run(true)
    expect(indexed.length).toBeGreaterThan(0)
    expect(indexed).toEqual(run(false))
  })

  it('indexes all but a small minority of the rules', () => {
    const { stats } = new RuleIndex(rules)
    console.log(
      `prefilter corpus index: ${stats.indexed} indexed, ${stats.alwaysChecked} always checked, ${stats.never} never match; fields ${stats.fields.join(', ')}`,
    )
    expect(stats.indexed + stats.alwaysChecked + stats.never).toBe(rules.length)
    expect(stats.alwaysChecked).toBeLessThan(rules.length / 4)
  })
})
