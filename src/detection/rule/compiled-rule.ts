import type { CimProcessField, ProcessEvent } from '../event.js'
import type { EventContext } from '../match/event-context.js'
import type { AggregationKind, TstatsQuery, WhereNode } from '../spl/ast.js'
import type { RuleDefinition } from './rule-definition.js'

/** An aggregation with its final output name (after drop_dm_object_name). */
export interface CompiledAggregation {
  readonly kind: AggregationKind
  /** The argument as written (`_time`, `Processes.process`), or null for a bare `count`. */
  readonly field: string | null
  readonly outputName: string
  /**
   * The event field it reads: a CIM field, or null for `_time` (min/max), for a bare `count`, and
   * for fields that are not CIM fields (never present, so `values()` stays empty, `count(f)` 0).
   */
  readonly eventField: CimProcessField | null
}

/** The values of one grouped row as the `_filter` stage and the renderer see them. */
export interface RowValues {
  readonly fields: Readonly<Record<string, string>>
  readonly aggregates: Readonly<Record<string, string | number | readonly string[]>>
}

/** A rule ready to run: its parsed search plus closures compiled from it. */
export interface CompiledRule {
  readonly rule: RuleDefinition
  /** The whole parsed search. */
  readonly query: TstatsQuery
  /** The tstats WHERE tree (after macro expansion), or null when the search has none. */
  readonly where: WhereNode | null
  /** BY columns by output name, in BY order (bare names such as `dest` after drop_dm_object_name). */
  readonly byFields: readonly string[]
  /** Event field feeding each BY column; null for a field that is not a CIM field (always null). */
  readonly byEventFields: readonly (CimProcessField | null)[]
  readonly aggregations: readonly CompiledAggregation[]
  /** tstats `fillnull_value` after macro expansion (ESCU: "null"); null when not set. */
  readonly fillnullValue: string | null
  /** Output columns the search formats with security_content_ctime. */
  readonly ctimeFields: readonly string[]
  /** True when the aggregations are exactly ESCU's `count min(_time) as firstTime max(_time) as lastTime`. */
  readonly standardAggregations: boolean
  /** Evaluates the WHERE clause on one event. */
  matches(event: ProcessEvent): boolean
  /** Evaluates the `_filter` stage(s) on a grouped row. */
  filter(row: RowValues): boolean
  /** WHERE over a shared EventContext; used by DetectionAggregator to lower-case each field once. */
  readonly test: (ctx: EventContext) => boolean
}
