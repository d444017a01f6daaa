import type { CimProcessField } from '../event.js'
import { compileWildcard } from '../match/wildcard.js'
import { eventFieldOf } from '../rule/compile.js'
import type { WhereNode } from '../spl/ast.js'
import { backgroundCount } from './background.js'

/**
 * Necessary conditions of a tstats WHERE tree, in a form an index can look up per event: "the
 * event can only match if process_name is one of these values, or the command line contains one of
 * these strings". They never decide a match — the rule's own predicate does — so they only have to
 * be implied by the WHERE tree, never to imply it. What cannot be expressed this way (`!=`, NOT, a
 * bare `*`) simply contributes no condition.
 *
 * Values follow match/wildcard.ts exactly: a pattern is lower-cased and tested against the
 * lower-cased field, and a value matching `head*mid*tail` starts with `head`, ends with `tail` and
 * contains `mid`. Field names resolve as in compileRule, so a non-CIM field (always null) makes `=`
 * and `IN` impossible: the need has no atoms and is never satisfied.
 */

/** How an atom compares the lower-cased field with its value. */
export type AtomMatch = 'exact' | 'prefix' | 'suffix' | 'contains'

/** One test of a lower-cased event field against a lower-cased value (non-empty but for `exact`). */
export interface NeedAtom {
  readonly field: CimProcessField
  readonly match: AtomMatch
  readonly value: string
}

/** A disjunction of atoms; with no atoms it is never satisfied. */
export type Need = readonly NeedAtom[]

/**
 * What an event must satisfy before a rule is worth evaluating: every need (a conjunction of
 * disjunctions). An empty list means no condition was found: the rule is checked on every event.
 */
export type RuleNeeds = readonly Need[]

/** Most needs kept per rule: more rarely prune what the best ones did not. */
const MAX_NEEDS = 3
/** A substring need beyond the best one must be at most this likely to be worth scanning for. */
const RARE = 0.05
/** Largest cross product computed when an OR of conjunctions is distributed into needs. */
const MAX_DISTRIBUTED = 16

/**
 * Shortest substring worth an atom. The scanner finds longer ones in a single pass, whatever their
 * number; each shorter length would cost a pass of its own, more than evaluating the few rules
 * whose only condition is such a substring.
 */
const MIN_SUBSTRING = 4

const NEVER: Need[] = [[]]

/**
 * The needs of a rule's WHERE tree (null: no WHERE, every event matches), best first. Beyond the
 * best need, a need is kept unless it is a likely substring: looking values up costs the same
 * whatever their number, but every occurrence of a substring costs a check of its own.
 */
export function ruleNeeds(where: WhereNode | null): RuleNeeds {
  if (where === null) return []
  const needs = needsOf(where)
  if (isNever(needs)) return NEVER
  return byLikelihood(needs)
    .filter((n, i) => i === 0 || n.every((a) => a.match !== 'contains') || likelihood(n) <= RARE)
    .slice(0, MAX_NEEDS)
}

/** A conjunction of needs implied by `node`. */
function needsOf(node: WhereNode): Need[] {
  switch (node.kind) {
    case 'all':
    case 'not':
      return []
    case 'compare': {
      const field = eventFieldOf(node.field)
      if (field === null) return NEVER
      return node.op === 'ne' ? [] : patternNeeds(field, node.value).map((a) => [a])
    }
    case 'in': {
      const field = eventFieldOf(node.field)
      if (field === null) return NEVER
      const atoms: NeedAtom[] = []
      for (const value of node.values) {
        const candidates = patternNeeds(field, value).map((a) => [a])
        if (candidates.length === 0) return []
        atoms.push(...byLikelihood(candidates)[0]!)
      }
      return [dedupe(atoms)]
    }
    case 'literal': {
      const field = eventFieldOf(node.field)
      if (field === null) return NEVER
      const values = node.values.map((v) => v.toLowerCase())
      if (node.match === 'equals') return [dedupe(values.map((value): NeedAtom => ({ field, match: 'exact', value })))]
      // Every value must give an atom, or the disjunction would not be implied.
      if (values.some((v) => v.length < MIN_SUBSTRING)) return []
      return [dedupe(values.map((value): NeedAtom => ({ field, match: 'contains', value })))]
    }
    case 'and': {
      const needs = node.operands.flatMap(needsOf)
      return isNever(needs) ? NEVER : dedupeNeeds(needs)
    }
    case 'or':
      return orNeeds(node.operands.map(needsOf))
  }
}

/**
 * `(a1 ∧ a2) ∨ (b1 ∧ b2)` implies `(ai ∨ bj)` for every choice of i and j. All choices are kept
 * when there are few (so that a value common to every branch becomes a need of its own); otherwise
 * only the union of each branch's best need.
 */
function orNeeds(branches: readonly Need[][]): Need[] {
  const live = branches.filter((b) => !isNever(b))
  if (live.length === 0) return NEVER
  if (live.some((b) => b.length === 0)) return []
  if (live.reduce((n, b) => n * b.length, 1) > MAX_DISTRIBUTED) return [dedupe(live.flatMap((b) => byLikelihood(b)[0]!))]
  let combos: NeedAtom[][] = [[]]
  for (const b of live) combos = combos.flatMap((c) => b.map((need) => [...c, ...need]))
  return dedupeNeeds(combos.map(dedupe))
}

/** Single-atom needs of `field=pattern`: exact, or the prefix, suffix and middle runs of a wildcard pattern. */
function patternNeeds(field: CimProcessField, pattern: string): NeedAtom[] {
  const m = compileWildcard(pattern)
  if (m.shape === 'exact') return [{ field, match: 'exact', value: m.pattern }]
  const parts = m.pattern.split('*')
  const atoms: NeedAtom[] = []
  const head = parts[0]!
  const tail = parts[parts.length - 1]!
  if (head !== '') atoms.push({ field, match: 'prefix', value: head })
  if (tail !== '') atoms.push({ field, match: 'suffix', value: tail })
  for (const mid of parts.slice(1, -1)) if (mid.length >= MIN_SUBSTRING) atoms.push({ field, match: 'contains', value: mid })
  return atoms
}

const isNever = (needs: readonly Need[]): boolean => needs.some((n) => n.length === 0)

const atomKey = (a: NeedAtom): string => `${a.field}\u0000${a.match}\u0000${a.value}`

function dedupe(atoms: readonly NeedAtom[]): NeedAtom[] {
  const seen = new Map<string, NeedAtom>()
  for (const a of atoms) seen.set(atomKey(a), a)
  return [...seen.values()]
}

function dedupeNeeds(needs: readonly Need[]): Need[] {
  const seen = new Map<string, Need>()
  for (const n of needs) seen.set(JSON.stringify(n.map(atomKey).sort()), n)
  return [...seen.values()]
}

const byLikelihood = (needs: readonly Need[]): Need[] =>
  needs
    .map((need, i) => ({ need, i, p: likelihood(need) }))
    .sort((a, b) => a.p - b.p || a.i - b.i)
    .map((n) => n.need)

/**
 * A rough guess of how often a need holds on ordinary events, used only to rank needs: an exact
 * value is rare; a prefix or suffix is rarer the longer it is, a substring too but less so, and
 * either is far likelier when it belongs to the usual vocabulary of command lines (`.exe`, `system`).
 */
function likelihood(need: Need): number {
  let p = 0
  for (const a of need) {
    if (a.match === 'exact') {
      p += 0.01 * (1 + 16 * backgroundCount(a.value))
      continue
    }
    const base = a.match === 'contains' ? Math.max(0.02, 2 ** (2 - a.value.length)) : Math.max(0.01, 2 ** (1 - a.value.length))
    p += base * (1 + 16 * backgroundCount(a.value))
  }
  return p
}
