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
 * they become it (`COALESCE(col, $n)`, so a real "null" string and a missing value share a group,
 * as in Splunk); without one, an event with any null BY field is left out — and a BY field that is
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
  if (scope.coverage !== undefined) {
    const { uploadIds, from: starts, to: ends } = scope.coverage
    // Ranges of one upload are disjoint, so the join yields each event at most once.
    from += ` JOIN unnest(${params.add(uploadIds)}::uuid[], ${params.add(starts)}::timestamptz[], ${params.add(ends)}::timestamptz[]) AS cov(upload_id, covered_from, covered_to) USING (upload_id)`
    conditions.push('"time" >= cov.covered_from', '"time" < cov.covered_to')
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
      groupBy.push(ALIAS.by(i))
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

  const lines = [`SELECT ${select.join(',\n       ')}`, `FROM ${from}`, `WHERE ${conditions.join('\n  AND ')}`]
  // GROUP BY names the output aliases (Postgres resolves them to the select-list expressions, so
  // COALESCE is written once). An aggregate without GROUP BY returns a row even for no input,
  // where tstats would yield no detection.
  lines.push(groupBy.length > 0 ? `GROUP BY ${groupBy.join(', ')}` : 'HAVING count(*) > 0')
  return { text: lines.join('\n'), values: params.values }
}
