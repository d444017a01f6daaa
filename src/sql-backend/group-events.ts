import { CIM_PROCESS_FIELDS, type CimProcessField, type CompiledRule, type ProcessEvent } from '../detection/index.js'
import { quotedColumn } from './columns.js'
import type { QueryScope, SqlQuery } from './grouped-query.js'
import { SqlParams } from './sql-params.js'
import { compileWhereToSql } from './where-to-sql.js'

/**
 * The stored events behind one grouped row of a rule: those that satisfy the rule's WHERE and
 * have the row's BY values, optionally within a scan's coverage of each upload — exactly the
 * events buildGroupedQuery counted into that row. Pure: text plus bind values, no I/O.
 *
 * BY values follow tstats' null rules as the grouped query applies them: with a fillnull value, a
 * row value equal to it also stands for a missing field (`COALESCE(col, fill) = value`); a BY
 * field that is not a CIM column is the fillnull constant in every row and selects nothing. The
 * rule's `_filter` macro works on grouped rows, so it decides which rows exist, never which
 * events a row has: it plays no part here.
 */

/** Which events: one tenant, one row's BY values, optionally coverage ranges and extra equalities. */
export interface GroupEventsScope {
  readonly tenantId: string
  /** The row's BY values, by output name (a detection's `fields`). */
  readonly fields: Readonly<Record<string, string>>
  /** Per upload, the event-time ranges the rule evaluated (QueryScope.coverage); absent: all stored events. */
  readonly coverage?: QueryScope['coverage']
  /** Further equalities on CIM fields, compared like a search's `field="value"`: case-insensitive, literal. */
  readonly equals?: readonly { readonly field: CimProcessField; readonly value: string }[]
}

/** A page of events in (time, id) order: at most `limit`, after the (time, id) of `after`. */
export interface GroupEventsPage {
  readonly limit: number
  readonly after?: { readonly timeMs: number; readonly id: string }
}

/** One stored event as the page query returns it. */
export interface GroupEvent {
  /** process_events.id (a bigint, as text). */
  id: string
  uploadId: string
  source: string
  line: number
  /** Where its text is in the decompressed upload; null for events stored before that was recorded. */
  rawOffset: number | null
  rawLength: number | null
  event: ProcessEvent
}

type GroupEventRow = Record<CimProcessField, string | null> & { id: string; upload_id: string; time_ms: string; source: string; line: number; raw_offset: string | null; raw_length: number | null }

/** The FROM and WHERE of the events of `scope`, binding every value into `params`. */
function fromAndWhere(rule: CompiledRule, scope: GroupEventsScope, params: SqlParams): string {
  const conditions = [`tenant_id = ${params.add(scope.tenantId)}::uuid`]
  let from = 'process_events'
  if (scope.coverage !== undefined) {
    const { uploadIds, from: starts, to: ends } = scope.coverage
    // Ranges of one upload are disjoint, so the join yields each event at most once.
    from += ` JOIN unnest(${params.add(uploadIds)}::uuid[], ${params.add(starts)}::timestamptz[], ${params.add(ends)}::timestamptz[]) AS cov(upload_id, covered_from, covered_to) USING (upload_id)`
    conditions.push('"time" >= cov.covered_from', '"time" < cov.covered_to')
  }
  if (rule.where !== null) conditions.push(`(${compileWhereToSql(rule.where, params)})`)
  let fillnull: string | null = null
  rule.byFields.forEach((name, i) => {
    const field = rule.byEventFields[i]
    const value = scope.fields[name]
    // Fields of another revision of the rule: not constrained (callers that need the exact row
    // check that the fields are the rule's BY fields first).
    if (value === undefined) return
    if (field === null) {
      // Always null: only the fillnull constant stands for it (the grouped query keeps no other row).
      if (rule.fillnullValue === null || value !== rule.fillnullValue) conditions.push('FALSE')
      return
    }
    const column = quotedColumn(field)
    if (rule.fillnullValue !== null && value === rule.fillnullValue) {
      fillnull ??= params.add(rule.fillnullValue)
      conditions.push(`COALESCE(${column}, ${fillnull}) = ${fillnull}`)
    } else conditions.push(`${column} = ${params.add(value)}`)
  })
  for (const { field, value } of scope.equals ?? []) {
    // NUL can be in no stored value (COPY drops it) and cannot be bound.
    conditions.push(value.includes('\u0000') ? 'FALSE' : `lower(${quotedColumn(field)}) = ${params.add(value.toLowerCase())}`)
  }
  return `FROM ${from}\nWHERE ${conditions.join('\n  AND ')}`
}

/** How many events `scope` selects. */
export function buildGroupEventsCount(rule: CompiledRule, scope: GroupEventsScope): SqlQuery {
  const params = new SqlParams()
  const body = fromAndWhere(rule, scope, params)
  return { text: `SELECT count(*) AS n\n${body}`, values: params.values }
}

const EVENT_COLUMNS = ['id::text AS id', 'upload_id', '(extract(epoch FROM "time") * 1000)::bigint AS time_ms', 'source', 'line', 'raw_offset', 'raw_length', ...CIM_PROCESS_FIELDS.map(quotedColumn)].join(', ')

/** One page of the events of `scope`, in (time, id) order; one row more than `limit` says another page follows. */
export function buildGroupEventsPage(rule: CompiledRule, scope: GroupEventsScope, page: GroupEventsPage): SqlQuery {
  const params = new SqlParams()
  let body = fromAndWhere(rule, scope, params)
  if (page.after !== undefined) {
    body += `\n  AND ("time", id) > (${params.add(new Date(page.after.timeMs).toISOString())}::timestamptz, ${params.add(page.after.id)}::bigint)`
  }
  if (!Number.isInteger(page.limit) || page.limit < 0) throw new RangeError(`page limit must be a non-negative integer, got ${page.limit}`)
  // An integer checked above: written into the text, it changes nothing a bind value could.
  return { text: `SELECT ${EVENT_COLUMNS}\n${body}\nORDER BY "time", id\nLIMIT ${page.limit + 1}`, values: params.values }
}

/** A page query's row as a GroupEvent. */
export function groupEventOf(row: GroupEventRow): GroupEvent {
  const event: Record<string, unknown> = { _time: Number(row.time_ms) }
  for (const f of CIM_PROCESS_FIELDS) event[f] = row[f] ?? null
  return {
    id: row.id,
    uploadId: row.upload_id,
    source: row.source,
    line: row.line,
    rawOffset: row.raw_offset === null ? null : Number(row.raw_offset),
    rawLength: row.raw_length,
    event: event as ProcessEvent,
  }
}

export type { GroupEventRow }
