import { pipeline } from 'node:stream/promises'
import { Readable } from 'node:stream'
import type pg from 'pg'
import { from as copyFrom } from 'pg-copy-streams'
import { CIM_PROCESS_FIELDS, type ProcessEvent } from '../detection/index.js'

/**
 * Bulk writes of normalized events with COPY … FROM STDIN (CSV): about 60x faster than Prisma's
 * createMany here. Postgres text cannot hold NUL, so NUL characters are dropped from values.
 */

export interface StoredEvent {
  event: ProcessEvent
  source: string
  key: string
  line: number
}

const COLUMNS = ['tenant_id', 'upload_id', 'time', 'source', 'event_key', 'line', ...CIM_PROCESS_FIELDS]
const COPY_SQL = `COPY process_events (${COLUMNS.map((c) => `"${c}"`).join(', ')}) FROM STDIN WITH (FORMAT csv)`
const NEEDS_QUOTES = /[",\n\r]/

function csvValue(v: string | null): string {
  if (v === null) return ''
  const clean = v.includes('\u0000') ? v.replaceAll('\u0000', '') : v
  if (clean === '') return '""'
  return NEEDS_QUOTES.test(clean) ? `"${clean.replaceAll('"', '""')}"` : clean
}

function csvLine(tenantId: string, uploadId: string, s: StoredEvent): string {
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
  async function* lines(): AsyncGenerator<string> {
    for await (const batch of batches) {
      if (batch.length === 0) continue
      let text = ''
      for (const s of batch) text += csvLine(tenantId, uploadId, s)
      yield text
    }
  }
  // One batch in flight: the parser waits for Postgres instead of queueing CSV text in memory.
  await pipeline(Readable.from(lines(), { highWaterMark: 1 }), client.query(copyFrom(COPY_SQL)))
}
