import { pipeline } from 'node:stream/promises'
import { Readable } from 'node:stream'
import type pg from 'pg'
import { from as copyFrom } from 'pg-copy-streams'
import { CIM_PROCESS_FIELDS, type ProcessEvent } from '../detection/index.js'

/**
 * Bulk writes of normalized events with COPY … FROM STDIN (CSV): about 60x faster than Prisma's
 * createMany here. Postgres text cannot hold NUL, so NUL characters are dropped from values.
 *
 * Postgres refuses COPY FROM into a table under row-level security, so events are COPYed into a
 * temporary inbox of the transaction (no policies; no other session can see it) and moved into
 * process_events with INSERT … SELECT every SEGMENT_ROWS rows — an INSERT that the policy checks,
 * so a job can still only write rows of the tenant in its scope.
 */

export interface StoredEvent {
  event: ProcessEvent
  source: string
  key: string
  line: number
}

/** The columns of process_events that COPY writes, in csvLine's order. */
export const COPY_COLUMNS = ['tenant_id', 'upload_id', 'time', 'source', 'event_key', 'line', ...CIM_PROCESS_FIELDS]
const COLUMN_LIST = COPY_COLUMNS.map((c) => `"${c}"`).join(', ')
const INBOX = 'process_events_inbox'
const CREATE_INBOX = `CREATE TEMP TABLE IF NOT EXISTS ${INBOX} (LIKE process_events INCLUDING DEFAULTS)`
const COPY_SQL = `COPY ${INBOX} (${COLUMN_LIST}) FROM STDIN WITH (FORMAT csv)`
const MOVE_SQL = `INSERT INTO process_events (${COLUMN_LIST}) SELECT ${COLUMN_LIST} FROM ${INBOX}`
/** Rows COPYed before they are moved: bounds the inbox (temp buffers, then temp files) on big uploads. */
const SEGMENT_ROWS = 50_000
const NEEDS_QUOTES = /[",\n\r]/

function csvValue(v: string | null): string {
  if (v === null) return ''
  const clean = v.includes('\u0000') ? v.replaceAll('\u0000', '') : v
  if (clean === '') return '""'
  return NEEDS_QUOTES.test(clean) ? `"${clean.replaceAll('"', '""')}"` : clean
}

/** One event as a CSV line of COPY_COLUMNS. */
export function csvLine(tenantId: string, uploadId: string, s: StoredEvent): string {
  let line = `${tenantId},${uploadId},${new Date(s.event._time).toISOString()},${csvValue(s.source)},${csvValue(s.key)},${s.line}`
  for (const f of CIM_PROCESS_FIELDS) line += ',' + csvValue(s.event[f])
  return line + '\n'
}

/** COPYs every batch of events into process_events on `client` (inside the caller's transaction). */
export async function copyEvents(
  client: pg.ClientBase,
  tenantId: string,
  uploadId: string,
  batches: AsyncIterable<StoredEvent[]>,
): Promise<void> {
  await client.query(CREATE_INBOX)
  const source = batches[Symbol.asyncIterator]()
  let exhausted = false
  async function* segment(): AsyncGenerator<string> {
    let rows = 0
    while (rows < SEGMENT_ROWS) {
      const next = await source.next()
      if (next.done === true) {
        exhausted = true
        return
      }
      if (next.value.length === 0) continue
      let text = ''
      for (const s of next.value) text += csvLine(tenantId, uploadId, s)
      rows += next.value.length
      yield text
    }
  }
  try {
    while (!exhausted) {
      await pipeline(Readable.from(segment(), { highWaterMark: 1 }), client.query(copyFrom(COPY_SQL)))
      await client.query(MOVE_SQL)
      await client.query(`TRUNCATE ${INBOX}`)
    }
  } finally {
    // Inside a transaction that fails, this fails too (the transaction is aborted) and the
    // rollback removes the table instead; outside one, it must not outlive the call on a pooled connection.
    await client.query(`DROP TABLE IF EXISTS ${INBOX}`).catch(() => {})
  }
}
