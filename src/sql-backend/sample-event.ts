import type pg from 'pg'
import type { CompiledRule, ProcessEvent } from '../detection/index.js'
import { buildGroupEventsPage, groupEventOf, type GroupEventRow } from './group-events.js'

/**
 * One stored event behind a grouped detection: the first, by time, of the events of its row
 * (group-events.ts: the rule's WHERE and the row's BY values, a fillnull value also standing for
 * a missing field). Used to explain a detection term by term.
 */
export async function findSampleEvent(
  db: pg.Pool | pg.ClientBase,
  rule: CompiledRule,
  scope: { tenantId: string },
  fields: Record<string, string>,
): Promise<ProcessEvent | null> {
  const { text, values } = buildGroupEventsPage(rule, { tenantId: scope.tenantId, fields }, { limit: 0 })
  const { rows } = await db.query<GroupEventRow>(text, values)
  const row = rows[0]
  return row ? groupEventOf(row).event : null
}
