import type { CompiledRule } from '../detection/index.js'
import { ALIAS, planGroupedQuery } from './query-plan.js'
import { SqlParams } from './sql-params.js'
import { compileWhereToSql } from './where-to-sql.js'

/**
 * Builds the one SELECT that does a rule's `| tstats … WHERE … BY …` inside Postgres: filter
 * with the WHERE, group by the BY columns with tstats' null rules, and compute what the
 * in-memory aggregator accumulates per group. Pure: text plus bind values, no I/O.
 */

/** Which events a query reads: one tenant, optionally one upload and a `from <= time < to` window. */
export interface QueryScope {
  readonly tenantId: string
  readonly uploadId?: string
  readonly from?: Date
  readonly to?: Date
  /**
   * Per upload, the event-time ranges to read (a scan's coverage, src/store/rule-coverage.ts):
   * the query then reads only those and groups per upload too (column `upload_id`). Times are ISO
   * strings or '±infinity'; the three arrays are parallel, one entry per range.
   */
  readonly coverage?: { readonly uploadIds: readonly string[]; readonly from: readonly string[]; readonly to: readonly string[] }
}

/** A parameterised statement, ready for `client.query(text, values)`. */
export interface SqlQuery {
  readonly text: string
  readonly values: unknown[]
}

/**
 * The grouped query of `rule` over `scope`. Null BY values follow tstats: with a fillnull value
 * they become it (`COALESCE(col, $n)`, so a real "null" string and a missing value share a row,
 * as in Splunk, once the aggregator merges their groups); without one, an event with any null BY field is left out — and a BY field that is
 * not a CIM column (always null) then leaves out every event. A search without BY yields one row
 * only when some event matched. Times come back as epoch milliseconds; `values`/`dc` come back as
 * distinct sets (sorted and counted in JS, where the engine's code-unit order is defined).
 * Throws when the fillnull value contains NUL (Postgres text cannot hold it).
 */
export function buildGroupedQuery(rule: CompiledRule, scope: QueryScope): SqlQuery {
  if (rule.fillnullValue?.includes('\u0000')) {
    // Postgres text cannot hold NUL, so such a group value could not come back from the database.
    throw new Error(`rule ${rule.rule.id}: fillnull_value contains NUL, which the SQL backend cannot represent`)
  }
  const plan = planGroupedQuery(rule)
  const params = new SqlParams()
  const conditions = [`tenant_id = ${params.add(scope.tenantId)}`]
  let from = 'process_events'
  const select: string[] = []
  const groupBy: string[] = []
  let coverageJoin: string | null = null
  if (scope.coverage !== undefined && scope.coverage.from.every((t) => t === '-infinity') && scope.coverage.to.every((t) => t === 'infinity')) {
    // Every upload whole: its events are those of the uploads, no time to check.
    conditions.push(`upload_id = ANY(${params.add(scope.coverage.uploadIds)}::uuid[])`)
    select.push(`upload_id AS ${ALIAS.upload}`)
    groupBy.push(ALIAS.upload)
  } else if (scope.coverage !== undefined) {
    const { uploadIds, from: starts, to: ends } = scope.coverage
    const bounds = outerBounds(starts, ends)
    const uploads = params.add(uploadIds)
    // The events are filtered first, with constants the planner can estimate (the uploads, the
    // span of all ranges), as the bare count(*) of the WHERE is; the ranges then apply through a
    // join with the few coverage rows. Joined directly, the planner would read the (upload_id,
    // time) index once per range without knowing the range holds the whole upload.
    conditions.push(`upload_id = ANY(${uploads}::uuid[])`, `"time" >= ${params.add(bounds.from)}::timestamptz`, `"time" < ${params.add(bounds.to)}::timestamptz`)
    // Ranges of one upload are disjoint, so the join yields each event at most once.
    coverageJoin = `JOIN unnest(${uploads}::uuid[], ${params.add(starts)}::timestamptz[], ${params.add(ends)}::timestamptz[]) AS cov(upload_id, covered_from, covered_to) USING (upload_id)`
    select.push(`upload_id AS ${ALIAS.upload}`)
    groupBy.push(ALIAS.upload)
  }
  if (scope.uploadId !== undefined) conditions.push(`upload_id = ${params.add(scope.uploadId)}`)
  if (scope.from !== undefined) conditions.push(`"time" >= ${params.add(scope.from.toISOString())}::timestamptz`)
  if (scope.to !== undefined) conditions.push(`"time" < ${params.add(scope.to.toISOString())}::timestamptz`)
  if (rule.where !== null) conditions.push(compileWhereToSql(rule.where, params))

  // Bound once and only when used: Postgres cannot type a parameter that appears nowhere.
  let fillnull: string | null = null
  plan.by.forEach((column, i) => {
    if (rule.fillnullValue === null) {
      // Without fillnull_value, tstats drops the event when any BY field is null.
      conditions.push(column === null ? 'FALSE' : `${column} IS NOT NULL`)
      if (column === null) return
      select.push(`${column} AS ${ALIAS.by(i)}`)
      groupBy.push(ALIAS.by(i))
    } else if (column !== null) {
      fillnull ??= params.add(rule.fillnullValue)
      select.push(`COALESCE(${column}, ${fillnull}) AS ${ALIAS.by(i)}`)
      // Grouped by the raw column, so COALESCE runs once per group rather than once per event; a
      // null and a real fill value then come back as two groups with the same values, which the
      // aggregator merges into one row (importGroups adds up groups with equal BY values).
      groupBy.push(column)
    }
    // A non-CIM BY field with fillnull_value is the same constant in every group: filled in JS.
  })

  select.push(
    `count(*) AS ${ALIAS.count}`,
    // timestamptz(3) holds whole milliseconds; extract() is numeric, so the product is exact.
    `(extract(epoch FROM min("time")) * 1000)::bigint AS ${ALIAS.firstMs}`,
    `(extract(epoch FROM max("time")) * 1000)::bigint AS ${ALIAS.lastMs}`,
  )
  plan.accumulators.forEach((acc, j) => {
    if (acc.kind === 'count') select.push(`count(${acc.column}) AS ${ALIAS.accumulator(j)}`)
    else if (acc.kind === 'distinct') {
      select.push(`coalesce(array_agg(DISTINCT ${acc.column}) FILTER (WHERE ${acc.column} IS NOT NULL), '{}') AS ${ALIAS.accumulator(j)}`)
    }
  })

  const lines = [`SELECT ${select.join(',\n       ')}`]
  if (coverageJoin === null) lines.push(`FROM ${from}`, `WHERE ${conditions.join('\n  AND ')}`)
  else {
    // OFFSET 0 keeps the filtered events a subquery of its own, planned apart from the join.
    lines.push(`FROM (SELECT * FROM ${from}`, `      WHERE ${conditions.join('\n        AND ')}`, '      OFFSET 0) AS process_events')
    lines.push(coverageJoin, 'WHERE "time" >= cov.covered_from', '  AND "time" < cov.covered_to')
  }
  // An aggregate without GROUP BY returns a row even for no input, where tstats would yield no detection.
  lines.push(groupBy.length > 0 ? `GROUP BY ${groupBy.join(', ')}` : 'HAVING count(*) > 0')
  return { text: lines.join('\n'), values: params.values }
}

/** The earliest start and the latest end of some ranges (ISO times or '±infinity'), as SQL times. */
function outerBounds(starts: readonly string[], ends: readonly string[]): { from: string; to: string } {
  // A time JS cannot read widens its bound to open: the bounds only narrow what the join checks anyway.
  const ms = (t: string, open: number): number => (t === 'infinity' ? Infinity : t === '-infinity' ? -Infinity : Number.isNaN(Date.parse(t)) ? open : Date.parse(t))
  const sql = (n: number): string => (n === Infinity ? 'infinity' : n === -Infinity ? '-infinity' : new Date(n).toISOString())
  return {
    from: sql(starts.reduce((min, t) => Math.min(min, ms(t, -Infinity)), Infinity)),
    to: sql(ends.reduce((max, t) => Math.max(max, ms(t, Infinity)), -Infinity)),
  }
}
