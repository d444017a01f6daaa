import type pg from 'pg'
import { withTenantScope } from '../db/db-scope.js'
import { DETECTION_COLUMNS, detectionRecord, whereClause, type DetectionQuery, type DetectionRecord, type DetectionRow } from './detections-query.js'

/**
 * Every detection matching a filter, in batches, in the order of the `detections` query (newest
 * lastTime first, then id): keyset pagination, so each batch is one short query, nothing is held
 * between batches but the last row's position, and no connection stays checked out while the
 * client reads.
 *
 * Each query runs in the tenant's scope explicitly: the batches are pulled by the response stream,
 * whose callbacks do not carry the request's async context (db/db-scope.ts).
 */
export async function* detectionBatches(pool: pg.Pool, filter: Omit<DetectionQuery, 'first' | 'after'>, batchSize: number): AsyncGenerator<DetectionRecord[]> {
  const where = whereClause({ ...filter, first: batchSize })
  let after: { time: Date | null; id: string } | null = null
  for (;;) {
    const params = [...where.params]
    let keyset = ''
    if (after) {
      params.push(after.id)
      const id = `$${params.length}`
      if (after.time === null) {
        // NULL lastTime sorts first under DESC: after a NULL row come the NULL rows with lower ids, then all dated ones.
        keyset = ` AND ((last_time IS NULL AND id < ${id}) OR last_time IS NOT NULL)`
      } else {
        params.push(after.time)
        keyset = ` AND (last_time < $${params.length} OR (last_time = $${params.length} AND id < ${id}))`
      }
    }
    params.push(batchSize)
    const { rows } = await withTenantScope(filter.tenantId, () =>
      pool.query<DetectionRow>(`SELECT ${DETECTION_COLUMNS} FROM detections WHERE ${where.sql}${keyset} ORDER BY last_time DESC, id DESC LIMIT $${params.length}`, params),
    )
    if (rows.length > 0) yield rows.map(detectionRecord)
    if (rows.length < batchSize) return
    const last = rows.at(-1)!
    after = { time: last.last_time, id: last.id }
  }
}
