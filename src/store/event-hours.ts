import type pg from 'pg'
import { mergeRanges, sqlTime, widenToUploadSpan, type TimeRange } from './rule-coverage.js'

/**
 * Events stored per upload and hour of event time (table upload_event_hours), kept in step with
 * process_events by ingest (recordEventHours), re-processing (cleared with the events) and the
 * retention sweep (recountAfterPurge). A scan counts the events it examined from these for every
 * whole hour of its ranges and counts only the partial hours at the edges event by event — where a
 * range reaches past the upload's first or last event, not even those.
 */

export const HOUR_MS = 3_600_000

const floorHour = (ms: number): number => (Number.isFinite(ms) ? Math.floor(ms / HOUR_MS) * HOUR_MS : ms)
const ceilHour = (ms: number): number => (Number.isFinite(ms) ? Math.ceil(ms / HOUR_MS) * HOUR_MS : ms)

/** A range as whole hours (null when it holds none) and the partial pieces at its edges. Pure. */
export function splitByHours(range: TimeRange): { whole: TimeRange | null; edges: TimeRange[] } {
  const start = ceilHour(range.from)
  const end = floorHour(range.to)
  if (!(start < end)) return { whole: null, edges: range.from < range.to ? [range] : [] }
  const edges = [
    { from: range.from, to: start },
    { from: end, to: range.to },
  ].filter((r) => r.from < r.to)
  return { whole: { from: start, to: end }, edges }
}

/** Adds one stored event's time to per-hour counts (ingest keeps a Map per upload). */
export function countHour(counts: Map<number, number>, timeMs: number): void {
  const hour = floorHour(timeMs)
  counts.set(hour, (counts.get(hour) ?? 0) + 1)
}

/** Records an upload's events per hour (replacing what it had). */
export async function recordEventHours(client: pg.ClientBase, tenantId: string, uploadId: string, counts: Map<number, number>): Promise<void> {
  await client.query('DELETE FROM upload_event_hours WHERE upload_id = $1', [uploadId])
  if (counts.size === 0) return
  const hours = [...counts.keys()]
  await client.query(
    `INSERT INTO upload_event_hours (upload_id, tenant_id, hour, events) SELECT $1, $2, h, n FROM unnest($3::timestamptz[], $4::int[]) AS x(h, n)`,
    [uploadId, tenantId, hours.map((h) => new Date(h).toISOString()), hours.map((h) => counts.get(h)!)],
  )
}

/**
 * After the retention sweep deleted a tenant's events before `cutoff`: hours entirely before it
 * go, the hour holding it is counted again. In batches of `batch` rows, as the sweep's other statements.
 */
export async function recountAfterPurge(db: pg.Pool | pg.ClientBase, tenantId: string, cutoff: Date, batch = 5_000): Promise<void> {
  const untilDone = async (sql: string): Promise<void> => {
    while (((await db.query(sql, [tenantId, cutoff, batch])).rowCount ?? 0) >= batch);
  }
  await untilDone(`DELETE FROM upload_event_hours WHERE (upload_id, hour) IN (
    SELECT upload_id, hour FROM upload_event_hours WHERE tenant_id = $1 AND hour + interval '1 hour' <= $2 LIMIT $3)`)
  // The hour holding the cutoff, at most one per upload; recounted rows drop out of the selection.
  await untilDone(`UPDATE upload_event_hours h SET events = s.n
    FROM (SELECT x.upload_id, x.hour, (SELECT count(*) FROM process_events e WHERE e.upload_id = x.upload_id AND e.time >= x.hour AND e.time < x.hour + interval '1 hour') AS n
          FROM upload_event_hours x WHERE x.tenant_id = $1 AND x.hour < $2 AND x.hour + interval '1 hour' > $2
            AND x.events <> (SELECT count(*) FROM process_events e WHERE e.upload_id = x.upload_id AND e.time >= x.hour AND e.time < x.hour + interval '1 hour')
          LIMIT $3) s
    WHERE h.upload_id = s.upload_id AND h.hour = s.hour AND s.n > 0`)
  await untilDone(`DELETE FROM upload_event_hours WHERE (upload_id, hour) IN (
    SELECT x.upload_id, x.hour FROM upload_event_hours x WHERE x.tenant_id = $1 AND x.hour < $2 AND x.hour + interval '1 hour' > $2
      AND NOT EXISTS (SELECT 1 FROM process_events e WHERE e.upload_id = x.upload_id AND e.time >= x.hour AND e.time < x.hour + interval '1 hour') LIMIT $3)`)
}

/** The number of stored events of the tenant in the given ranges of each upload. */
export async function countEventsIn(db: pg.Pool | pg.ClientBase, tenantId: string, rangesByUpload: Map<string, TimeRange[]>): Promise<number> {
  if (rangesByUpload.size === 0) return 0
  // Every stored event of an upload lies within its first and last event time (ingest sets them
  // from the events it stored; only re-processing, which replaces both, adds events).
  const { rows: spans } = await db.query<{ id: string; first: string; last: string }>(
    `SELECT id, (extract(epoch FROM first_event_time) * 1000)::float8 AS first, (extract(epoch FROM last_event_time) * 1000)::float8 AS last
     FROM uploads WHERE tenant_id = $1 AND id = ANY($2::uuid[]) AND first_event_time IS NOT NULL AND last_event_time IS NOT NULL`,
    [tenantId, [...rangesByUpload.keys()]],
  )
  const spanOf = new Map(spans.map((r) => [r.id, { first: Number(r.first), last: Number(r.last) }]))
  const whole = { uploads: [] as string[], from: [] as string[], to: [] as string[] }
  const edges = { uploads: [] as string[], from: [] as string[], to: [] as string[] }
  for (const [uploadId, ranges] of rangesByUpload) {
    for (const range of mergeRanges(ranges.map((r) => widenToUploadSpan(r, spanOf.get(uploadId))))) {
      const split = splitByHours(range)
      if (split.whole) {
        whole.uploads.push(uploadId)
        whole.from.push(sqlTime(split.whole.from))
        whole.to.push(sqlTime(split.whole.to))
      }
      for (const e of split.edges) {
        edges.uploads.push(uploadId)
        edges.from.push(sqlTime(e.from))
        edges.to.push(sqlTime(e.to))
      }
    }
  }
  // One index range scan per range (correlated subqueries): joined with unnest() instead, the
  // planner cannot estimate the ranges and may read every event of the tenant.
  const { rows } = await db.query<{ n: string }>(
    `SELECT (SELECT coalesce(sum((SELECT coalesce(sum(h.events), 0) FROM upload_event_hours h
                                   WHERE h.upload_id = w.upload_id AND h.tenant_id = $1 AND h.hour >= w.f AND h.hour < w.t)), 0)
               FROM unnest($2::uuid[], $3::timestamptz[], $4::timestamptz[]) AS w(upload_id, f, t))
          + (SELECT coalesce(sum((SELECT count(*) FROM process_events e
                                   WHERE e.upload_id = x.upload_id AND e.tenant_id = $1 AND e."time" >= x.f AND e."time" < x.t)), 0)
               FROM unnest($5::uuid[], $6::timestamptz[], $7::timestamptz[]) AS x(upload_id, f, t)) AS n`,
    [tenantId, whole.uploads, whole.from, whole.to, edges.uploads, edges.from, edges.to],
  )
  return Number(rows[0]!.n)
}
