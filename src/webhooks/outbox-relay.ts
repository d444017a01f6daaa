import type { Queue } from 'bullmq'
import type pg from 'pg'
import type { Logger } from 'pino'
import { withSystemScope } from '../db/db-scope.js'
import { enqueueWebhookDeliveries, type WebhookDeliveryJob } from '../queue/webhook-queue.js'
import { markDeliveriesEnqueued, notEnqueuedDeliveries } from '../store/webhook-deliveries.js'

/**
 * Moves webhook deliveries from the outbox (rows written in the transactions that create
 * detections and incidents) to the queue: adds a job for each delivery not enqueued yet, then
 * notes it. The job id is the delivery id, so a delivery enqueued twice (two workers relaying at
 * once, a crash between adding and noting) still runs once. The worker wakes the relay when an
 * upload or scan job completes — the moment its transaction has committed — and it also runs on an
 * interval, for the deliveries of a worker that died between its commit and that moment. Jobs
 * that Redis loses after this are the reconciler's business (src/queue/reconciler.ts).
 */

const BATCH = 500
/** How long close() waits for a pass in progress. */
const CLOSE_WAIT_MS = 5_000

/** One pass: every delivery not enqueued yet, in batches. Returns how many were enqueued. */
export async function relayWebhookDeliveries(pool: pg.Pool, queue: Queue<WebhookDeliveryJob>): Promise<number> {
  let relayed = 0
  for (;;) {
    const batch = await withSystemScope(() => notEnqueuedDeliveries(pool, BATCH))
    if (batch.length === 0) return relayed
    await enqueueWebhookDeliveries(queue, batch)
    await withSystemScope(() => markDeliveriesEnqueued(pool, batch.map((d) => d.deliveryId)))
    relayed += batch.length
    if (batch.length < BATCH) return relayed
  }
}

export interface OutboxRelay {
  /** Runs a pass soon (after the one in progress, if any); passes asked for meanwhile are merged. */
  wake(): void
  close(): Promise<void>
}

export function startOutboxRelay(opts: { pool: pg.Pool; queue: Queue<WebhookDeliveryJob>; intervalMs: number; log: Logger }): OutboxRelay {
  let running: Promise<void> | null = null
  let again = false
  let closed = false
  const pass = async (): Promise<void> => {
    do {
      again = false
      try {
        const relayed = await relayWebhookDeliveries(opts.pool, opts.queue)
        if (relayed > 0) opts.log.debug({ relayed }, 'webhook deliveries enqueued')
      } catch (err) {
        opts.log.warn({ err: (err as Error).message }, 'webhook outbox relay failed; retrying at the next pass')
      }
    } while (again && !closed)
  }
  const wake = (): void => {
    if (closed) return
    if (running) {
      again = true
      return
    }
    running = pass().finally(() => {
      running = null
    })
  }
  wake()
  const timer = setInterval(wake, opts.intervalMs)
  timer.unref()
  return {
    wake,
    async close() {
      closed = true
      clearInterval(timer)
      // A pass waiting on an unreachable Redis must not hold the shutdown: closing the queue ends it.
      let timeout: NodeJS.Timeout | undefined
      await Promise.race([running, new Promise((resolve) => (timeout = setTimeout(resolve, CLOSE_WAIT_MS)))])
      clearTimeout(timeout)
    },
  }
}
