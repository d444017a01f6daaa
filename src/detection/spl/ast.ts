/**
 * The syntax tree of the supported SPL dialect: one `| tstats … FROM datamodel=Endpoint.Processes`
 * search plus the few pipeline stages ESCU appends. Plain discriminated unions with no behaviour,
 * so that the in-memory matcher and a later SQL backend translate the same tree.
 */

/**
 * A boolean predicate of the search language. Field names are kept exactly as written
 * (`Processes.process_name` in tstats WHERE, bare output names in a `search` filter). Values are
 * already unescaped; every `*` in a value is a wildcard (SPL has no escape for a literal `*`),
 * and comparison is case-insensitive on values, case-sensitive on field names.
 */
export type WhereNode =
  | { readonly kind: 'compare'; readonly field: string; readonly op: 'eq' | 'ne'; readonly value: string }
  | { readonly kind: 'in'; readonly field: string; readonly values: readonly string[] }
  | { readonly kind: 'not'; readonly operand: WhereNode }
  | { readonly kind: 'and'; readonly operands: readonly WhereNode[] }
  | { readonly kind: 'or'; readonly operands: readonly WhereNode[] }
  /** A bare `*` term: matches every event or row. */
  | { readonly kind: 'all' }
  /**
   * A comparison with literal values, which no search text produces: rule exceptions build it
   * (detection/exceptions). True when the field is present and equals (or contains) one of
   * `values`, case-insensitively and character for character: `*` is no wildcard here.
   */
  | { readonly kind: 'literal'; readonly field: string; readonly match: LiteralMatch; readonly values: readonly string[] }

/** How a literal comparison tests the field's value against each of its values. */
export type LiteralMatch = 'equals' | 'contains'

/** The statistical functions tstats may use here. */
export type AggregationKind = 'count' | 'min' | 'max' | 'values' | 'dc'

/** One tstats aggregation, e.g. `min(_time) as firstTime`. */
export interface AggregationNode {
  readonly kind: AggregationKind
  /** The argument as written (`_time`, `Processes.process`), or null for a bare `count`. */
  readonly field: string | null
  /** The output column name before any rename: the `as` name, else the function text. */
  readonly outputName: string
}

/** A pipeline stage after tstats; anything else is rejected by the parser. */
export type StageNode =
  /** `drop_dm_object_name(Processes)`: renames `Processes.x` columns to `x`. */
  | { readonly kind: 'drop_dm_object_name'; readonly object: string }
  /** `security_content_ctime(field)`: renders an epoch column as `%Y-%m-%dT%H:%M:%S`. */
  | { readonly kind: 'ctime'; readonly field: string }
  /** A `<name>_filter` macro: `search <predicate>` over the grouped rows. */
  | { readonly kind: 'filter'; readonly macro: string; readonly predicate: WhereNode }

/** A whole parsed search. */
export interface TstatsQuery {
  /** tstats options after macro expansion, e.g. `{ summariesonly: 'false', fillnull_value: 'null' }`. */
  readonly options: Readonly<Record<string, string>>
  readonly aggregations: readonly AggregationNode[]
  /** Always `Endpoint.Processes`; other data models are rejected. */
  readonly datamodel: string
  readonly where: WhereNode | null
  /** BY fields as written, e.g. `Processes.dest`. */
  readonly by: readonly string[]
  readonly stages: readonly StageNode[]
}
