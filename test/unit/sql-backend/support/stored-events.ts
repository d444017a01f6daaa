import type { GroupedRow, ProcessEvent } from '../../../../src/detection/index.js'
import type { StoredEvent } from '../../../../src/store/event-copy.js'

/**
 * Glue for comparing the SQL backend with DetectionAggregator: events in the batch form
 * copyEvents takes, and GroupedRows without their (shared, bulky) CompiledRule reference.
 */

/** Keys stay distinct across calls: events with one key are stored once per tenant. */
let stored = 0

/** `events` as one batch for copyEvents, each with a key of its own. */
export async function* storedBatches(events: readonly ProcessEvent[]): AsyncGenerator<StoredEvent[]> {
  yield events.map((event, i) => ({ event, source: 'sql-backend-test', key: `k${stored++}`, line: i + 1 }))
}

/** The rows as plain data, for toEqual; the rule reference is checked separately. */
export function rowData(rows: readonly GroupedRow[]): Omit<GroupedRow, 'rule'>[] {
  return rows.map(({ rule: _rule, ...rest }) => rest)
}
