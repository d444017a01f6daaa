import type { Queue } from 'bullmq'
import type pg from 'pg'
import { withSystemScope, withTenantScope } from '../db/db-scope.js'
import { failDelivery, pendingDeliveries, type DeliveryJobRef } from '../store/webhook-deliveries.js'
import type { UnfinishedWork } from './reconciler.js'
import { enqueueWebhookDeliveries, type WebhookDeliveryJob } from './webhook-queue.js'

/**
 * Webhook deliveries as reconciled work: a delivery is unfinished while it is PENDING in Postgres.
 * Its job is `deliver-webhook` with the delivery id as job id, as the outbox relay adds it. A
 * delivery waiting for its next attempt has a delayed job, which the reconciler leaves alone; one
 * whose job Redis lost is enqueued again and attempted at once (early, never twice at a time).
 */

export function unfinishedWebhookDeliveries(pool: pg.Pool, queue: Queue<WebhookDeliveryJob>): UnfinishedWork<DeliveryJobRef> {
  return {
    kind: 'webhook delivery',
    queue,
    listUnfinished: () => withSystemScope(() => pendingDeliveries(pool)),
    jobId: (d) => d.deliveryId,
    enqueue: (d) => enqueueWebhookDeliveries(queue, [{ deliveryId: d.deliveryId, tenantId: d.tenantId }]),
    // The job spent its own retries on the worker's troubles (a receiver's failures never fail
    // it), and the worker could not record that: record it now. The tenant may redeliver.
    async retryAfterLostFailure(d, reason) {
      await withTenantScope(d.tenantId, () => failDelivery(pool, d.tenantId, d.deliveryId, `the delivery could not be carried out: ${reason}`))
      return false
    },
  }
}
