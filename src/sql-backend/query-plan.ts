import type { CompiledRule } from '../detection/index.js'
import { quotedColumn } from './columns.js'

/**
 * What the grouped SELECT computes for one rule, shared by the SQL builder and the row mapper so
 * that column aliases and their meaning are decided in one place. It follows the in-memory
 * aggregator's accumulators (group/aggregator.ts): `count(f)` counts non-null values, `values(f)`
 * and `dc(f)` keep the distinct non-null values, and anything reading a field that is not a CIM
 * column (always null) needs no SQL at all.
 */

/** What SQL computes for one aggregation's accumulator. */
export type AccumulatorPlan =
  /** Bare `count`, `min(_time)`, `max(_time)`, or a non-CIM field: nothing beyond the group totals. */
  | { readonly kind: 'none' }
  /** `count(f)`: `count(col)`. */
  | { readonly kind: 'count'; readonly column: string }
  /** `values(f)` / `dc(f)`: the distinct non-null values. */
  | { readonly kind: 'distinct'; readonly column: string }

/** The plan of a grouped query. */
export interface GroupedQueryPlan {
  /** Per BY field, the quoted column feeding it, or null for a non-CIM field (always null). */
  readonly by: readonly (string | null)[]
  /** Per aggregation, in search order. */
  readonly accumulators: readonly AccumulatorPlan[]
}

/** Result-column aliases: lower-case, so Postgres returns them exactly as written. */
export const ALIAS = {
  by: (i: number): string => `b${i}`,
  accumulator: (j: number): string => `a${j}`,
  count: 'n',
  firstMs: 'first_ms',
  lastMs: 'last_ms',
  upload: 'upload_id',
} as const

/** Plans the grouped query of `rule`. */
export function planGroupedQuery(rule: CompiledRule): GroupedQueryPlan {
  return {
    by: rule.byEventFields.map((f) => (f === null ? null : quotedColumn(f))),
    accumulators: rule.aggregations.map((a): AccumulatorPlan => {
      if (a.eventField === null) return { kind: 'none' }
      const column = quotedColumn(a.eventField)
      if (a.kind === 'count') return { kind: 'count', column }
      if (a.kind === 'values' || a.kind === 'dc') return { kind: 'distinct', column }
      return { kind: 'none' }
    }),
  }
}
