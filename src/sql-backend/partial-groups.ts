import type { CompiledRule, PartialGroup } from '../detection/index.js'
import { ALIAS, planGroupedQuery } from './query-plan.js'

/**
 * Turns the result rows of buildGroupedQuery into the engine's PartialGroup form — the same JSON
 * shape workers exchange — so that DetectionAggregator.importGroups can finish them exactly as it
 * finishes its own groups (row keys, `_filter`, sorting) and SQL results stay mergeable with
 * in-memory ones.
 */

/** One result row as `pg` returns it (bigint columns arrive as strings, text[] as string arrays). */
export type GroupedQueryRow = Readonly<Record<string, unknown>>

const numberOf = (v: unknown): number => Number(v)

function stringsOf(v: unknown): string[] {
  if (!Array.isArray(v)) throw new Error(`expected a text[] column, got ${typeof v}`)
  return v.map(String)
}

/** The PartialGroups of `rule` in `rows`. */
export function partialGroupsOf(rule: CompiledRule, rows: readonly GroupedQueryRow[]): PartialGroup[] {
  const plan = planGroupedQuery(rule)
  return rows.map((row) => ({
    ruleId: rule.rule.id,
    by: plan.by.map((column, i) => {
      if (column !== null) return String(row[ALIAS.by(i)])
      // Only reachable with a fillnull value: without one the query returns no rows here.
      if (rule.fillnullValue === null) throw new Error(`BY field ${rule.byFields[i]} has no column and no fillnull value`)
      return rule.fillnullValue
    }),
    count: numberOf(row[ALIAS.count]),
    minTime: numberOf(row[ALIAS.firstMs]),
    maxTime: numberOf(row[ALIAS.lastMs]),
    accumulators: plan.accumulators.map((acc, j) => {
      if (acc.kind === 'count') return numberOf(row[ALIAS.accumulator(j)])
      if (acc.kind === 'distinct') return stringsOf(row[ALIAS.accumulator(j)])
      // The aggregator's own initial accumulator for this aggregation: an empty set or 0.
      const kind = rule.aggregations[j]!.kind
      return kind === 'values' || kind === 'dc' ? [] : 0
    }),
  }))
}
