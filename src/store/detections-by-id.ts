import type pg from 'pg'
import { DETECTION_COLUMNS, detectionRecord, type DetectionRecord, type DetectionRow } from './detections-query.js'

/** The tenant's detections among `ids` that are not suppressed, earliest first (live updates). */
export async function unsuppressedDetectionsByIds(pool: pg.Pool, tenantId: string, ids: readonly string[]): Promise<DetectionRecord[]> {
  if (ids.length === 0) return []
  const { rows } = await pool.query<DetectionRow>(
    `SELECT ${DETECTION_COLUMNS} FROM detections WHERE tenant_id = $1 AND id = ANY($2::uuid[]) AND suppressed_into IS NULL ORDER BY first_time, id`,
    [tenantId, ids],
  )
  return rows.map(detectionRecord)
}
