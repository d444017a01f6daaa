import type pg from 'pg'
import { withTenantScope } from '../db/db-scope.js'
import { unsuppressedDetectionsByIds } from '../store/detections-by-id.js'
import type { DetectionRecord } from '../store/detections-query.js'
import { eventQueue } from './event-queue.js'
import type { LiveHub } from './live-hub.js'

/**
 * The tenant's new detections for `detectionCreated`, as workers announce them after their
 * transactions commit (uploads and scans), each read from Postgres under the tenant's scope.
 * Live only: what is announced while nobody listens, or while Redis is away, is not replayed —
 * webhooks (the outbox) are the delivery that never misses one.
 */
export function detectionStream(deps: { pool: pg.Pool; hub: LiveHub }, tenantId: string): AsyncIterableIterator<DetectionRecord & { tenantId: string }> {
  let stopListening = (): void => {}
  const queue = eventQueue<DetectionRecord & { tenantId: string }>({ onClose: () => stopListening() })
  // Announcements are read in the order they came, one after another.
  let reading: Promise<void> = Promise.resolve()
  stopListening = deps.hub.listen(tenantId, {
    message(m) {
      if (m.type !== 'detections-created') return
      reading = reading
        .then(async () => {
          const records = await withTenantScope(tenantId, () => unsuppressedDetectionsByIds(deps.pool, tenantId, m.ids))
          for (const r of records) queue.push({ ...r, tenantId })
        })
        // The subscriber is told rather than silently missing detections; it can subscribe again.
        .catch((err: unknown) => queue.fail(err))
    },
    resync() {},
  })
  return queue.iterator
}
