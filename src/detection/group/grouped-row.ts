import type { CompiledRule } from '../rule/compiled-rule.js'

/** One tstats result row: a distinct BY tuple of one rule with its aggregates. */
export interface GroupedRow {
  readonly rule: CompiledRule
  /** FNV-1a 64 hex of rule id + BY tuple: stable across runs and workers. */
  readonly key: string
  /** BY fields by output name, in BY order; null values already replaced by the fillnull value. */
  readonly fields: Readonly<Record<string, string>>
  /** Number of events in the group. */
  readonly count: number
  /** `min(_time)` in epoch ms when the search computes it, else null. */
  readonly firstTime: number | null
  /** `max(_time)` in epoch ms when the search computes it, else null. */
  readonly lastTime: number | null
  /**
   * Every aggregation that is not a BY field, by output name: counts and `dc` as numbers, times as
   * epoch ms, `values` as sorted distinct strings.
   */
  readonly aggregates: Readonly<Record<string, string | number | string[]>>
}

/**
 * A group before the `_filter` stage, as plain JSON: what a worker hands to another so that
 * partial results of several batches can be combined (counts add, min/min, max/max, sets union).
 */
export interface PartialGroup {
  readonly ruleId: string
  readonly by: readonly string[]
  readonly count: number
  readonly minTime: number | null
  readonly maxTime: number | null
  /** Per aggregation, in search order: `count(f)` as a number, `values`/`dc` as the distinct values; 0 for the others. */
  readonly accumulators: readonly (number | readonly string[])[]
}
