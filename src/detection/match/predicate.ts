import type { LiteralMatch, WhereNode } from '../spl/ast.js'
import { compileWildcard } from './wildcard.js'

/**
 * Compiles a WhereNode into a closure once per rule. Field access is abstracted by an accessor
 * that returns the lower-cased value (or values, for multivalue row columns), so the same
 * compiler serves tstats WHERE over events and `search` filters over grouped rows.
 *
 * Null semantics follow the search manual: `f=v` and `f IN (…)` need the field to be present;
 * `f!=v` also needs it present (and not matching); `NOT f=v` is true when the field is absent.
 * A multivalue field matches `f=v` when any value matches and `f!=v` when any value does not.
 */

/** Lower-cased value(s) of a field, or null when absent (an empty multivalue counts as absent). */
export type FieldValue = string | readonly string[] | null

/** Reads a field from an evaluation context `C`. */
export type FieldAccessor<C> = (ctx: C) => FieldValue

/** Maps a field name to its accessor, or null for a field that never has a value. */
export type FieldResolver<C> = (field: string) => FieldAccessor<C> | null

/** A compiled predicate. */
export type Predicate<C> = (ctx: C) => boolean

const always = (): boolean => true
const never = (): boolean => false

/**
 * Compiles `node`; fields the resolver does not know are treated as always null. Operands of AND
 * and OR are evaluated cheapest first (exact comparisons before substring scans): predicates have
 * no side effects, so the order cannot change the result, only how soon it short-circuits.
 */
export function compilePredicate<C>(node: WhereNode, resolve: FieldResolver<C>): Predicate<C> {
  return compileNode(node, resolve).test
}

interface Compiled<C> {
  readonly test: Predicate<C>
  /** Rough relative cost of one evaluation. */
  readonly cost: number
}

const SHAPE_COST = { any: 1, exact: 1, prefix: 2, suffix: 2, contains: 4, general: 6 } as const

function compileNode<C>(node: WhereNode, resolve: FieldResolver<C>): Compiled<C> {
  switch (node.kind) {
    case 'all':
      return { test: always, cost: 0 }
    case 'compare': {
      const get = resolve(node.field)
      if (get === null) return { test: never, cost: 0 }
      const m = compileWildcard(node.value)
      const cost = SHAPE_COST[m.shape]
      if (node.op === 'eq') return { test: (ctx) => anyValue(get(ctx), m.test), cost }
      return { test: (ctx) => anyValue(get(ctx), (v) => !m.test(v)), cost }
    }
    case 'in': {
      const get = resolve(node.field)
      if (get === null) return { test: never, cost: 0 }
      const m = compileValueSet(node.values)
      return { test: (ctx) => anyValue(get(ctx), m.test), cost: m.cost }
    }
    case 'literal': {
      const get = resolve(node.field)
      if (get === null) return { test: never, cost: 0 }
      const m = compileLiteral(node.match, node.values)
      return { test: (ctx) => anyValue(get(ctx), m.test), cost: m.cost }
    }
    case 'not': {
      const inner = compileNode(node.operand, resolve)
      return { test: (ctx) => !inner.test(ctx), cost: inner.cost }
    }
    case 'and': {
      const parts = cheapestFirst(node.operands.map((o) => compileNode(o, resolve)))
      const tests = parts.map((p) => p.test)
      return {
        test: (ctx) => {
          for (const t of tests) if (!t(ctx)) return false
          return true
        },
        cost: parts.reduce((n, p) => n + p.cost, 0),
      }
    }
    case 'or': {
      const parts = cheapestFirst(node.operands.map((o) => compileNode(o, resolve)))
      const tests = parts.map((p) => p.test)
      return {
        test: (ctx) => {
          for (const t of tests) if (t(ctx)) return true
          return false
        },
        cost: parts.reduce((n, p) => n + p.cost, 0),
      }
    }
  }
}

const cheapestFirst = <C>(parts: Compiled<C>[]): Compiled<C>[] => [...parts].sort((a, b) => a.cost - b.cost)

function anyValue(value: FieldValue, test: (v: string) => boolean): boolean {
  if (value === null) return false
  if (typeof value === 'string') return test(value)
  for (const v of value) if (test(v)) return true
  return false
}

/** `IN (…)`: exact values go into a Set, wildcard values are tested one by one. */
function compileValueSet(values: readonly string[]): { test: (v: string) => boolean; cost: number } {
  const exact = new Set<string>()
  const patterns: ((v: string) => boolean)[] = []
  let cost = 1
  for (const value of values) {
    const m = compileWildcard(value)
    if (m.shape === 'exact') exact.add(m.pattern)
    else {
      patterns.push(m.test)
      cost += SHAPE_COST[m.shape]
    }
  }
  return {
    test: (v) => {
      if (exact.has(v)) return true
      for (const p of patterns) if (p(v)) return true
      return false
    },
    cost,
  }
}

/** A literal comparison: values lower-cased once, `equals` through a Set, `contains` by substring. */
function compileLiteral(match: LiteralMatch, values: readonly string[]): { test: (v: string) => boolean; cost: number } {
  const lowered = values.map((v) => v.toLowerCase())
  if (match === 'equals') {
    const set = new Set(lowered)
    return { test: (v) => set.has(v), cost: SHAPE_COST.exact }
  }
  return {
    test: (v) => {
      for (const needle of lowered) if (v.includes(needle)) return true
      return false
    },
    cost: SHAPE_COST.contains * lowered.length,
  }
}
