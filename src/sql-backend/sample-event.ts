import type pg from 'pg'
import { CIM_PROCESS_FIELDS, type CompiledRule, type ProcessEvent } from '../detection/index.js'
import { quotedColumn } from './columns.js'
import { SqlParams } from './sql-params.js'
import { compileWhereToSql } from './where-to-sql.js'

/**
 * One stored event behind a grouped detection: it satisfies the rule's WHERE and has the row's BY
 * values (a BY value equal to the fillnull value also stands for a missing field). Used to explain
 * a detection term by term.
 */
export async function findSampleEvent(
  db: pg.Pool | pg.ClientBase,
  rule: CompiledRule,
  scope: { tenantId: string },
  fields: Record<string, string>,
): Promise<ProcessEvent | null> {
  const params = new SqlParams()
  const conditions = [`tenant_id = ${params.add(scope.tenantId)}::uuid`]
  if (rule.where) conditions.push(`(${compileWhereToSql(rule.where, params)})`)
  rule.byFields.forEach((name, i) => {
    const field = rule.byEventFields[i]
    const value = fields[name]
    if (!field || value === undefined) return
    const col = quotedColumn(field)
    const eq = `${col} = ${params.add(value)}`
    conditions.push(rule.fillnullValue !== null && value === rule.fillnullValue ? `(${col} IS NULL OR ${eq})` : eq)
  })
  const columns = CIM_PROCESS_FIELDS.map(quotedColumn).join(', ')
  const { rows } = await db.query<Record<string, string | null> & { time_ms: string }>(
    `SELECT (extract(epoch FROM time) * 1000)::bigint AS time_ms, ${columns} FROM process_events
     WHERE ${conditions.join(' AND ')} ORDER BY time, id LIMIT 1`,
    params.values,
  )
  const row = rows[0]
  if (!row) return null
  const event: Record<string, unknown> = { _time: Number(row.time_ms) }
  for (const f of CIM_PROCESS_FIELDS) event[f] = row[f] ?? null
  return event as ProcessEvent
}
