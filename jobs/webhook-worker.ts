import { DelayedError, UnrecoverableError, WaitingError, Worker } from 'bullmq'
import type pg from 'pg'
import type { Logger } from 'pino'
import { withTenantScope } from '../src/db/db-scope.js'
import { redisConnection } from '../src/queue/queues.js'
import { WEBHOOK_QUEUE, type WebhookDeliveryJob } from '../src/queue/webhook-queue.js'
import { failDelivery } from '../src/store/webhook-deliveries.js'
import { attemptDelivery, type DeliverySettings } from '../src/webhooks/deliver-webhook.js'

export interface WebhookWorkerOptions {
  pool: pg.Pool
  redisUrl: string
  prefix: string
  settings: DeliverySettings
  log: Logger
}

/**
 * Deliveries at once per worker process: each mostly waits on a receiver (up to
 * WEBHOOK_TIMEOUT_MS), so many run side by side at little cost.
 */
const CONCURRENCY = 10

/**
 * The BullMQ worker for webhook deliveries: thin; an attempt is attemptDelivery. A receiver that
 * fails leaves the delivery PENDING with its next attempt time, and the job is delayed to that time
 * (BullMQ's DelayedError: not a failure, so the job's own retries stay for the worker's troubles).
 */
export function startWebhookWorker(opts: WebhookWorkerOptions): Worker<WebhookDeliveryJob> {
  const worker = new Worker<WebhookDeliveryJob>(
    WEBHOOK_QUEUE,
    async (job, token, signal) => {
      const { deliveryId, tenantId } = job.data
      // Row-level security: the job sees its own tenant's rows only.
      const outcome = await withTenantScope(tenantId, () => attemptDelivery(opts.pool, opts.settings, tenantId, deliveryId, signal))
      const log = opts.log.child({ jobId: job.id, deliveryId, tenantId })
      if (outcome.status === 'PENDING' && token !== undefined) {
        log.info({ attempts: outcome.attempts, error: outcome.error, nextAttemptAt: outcome.nextAttemptAt }, 'webhook delivery failed; will retry')
        await job.moveToDelayed(outcome.nextAttemptAt.getTime(), token)
        throw new DelayedError()
      }
      if (outcome.status === 'INTERRUPTED' && token !== undefined) {
        log.info('webhook delivery handed back to the queue: the worker is shutting down')
        await job.moveToWait(token)
        throw new WaitingError()
      }
      if (outcome.status === 'FAILED') log.warn({ attempts: outcome.attempts, error: outcome.error }, 'webhook delivery failed for good')
      else log.debug({ status: outcome.status }, 'webhook delivery done')
      return outcome
    },
    { connection: redisConnection(opts.redisUrl), prefix: opts.prefix, concurrency: CONCURRENCY },
  )
  worker.on('failed', (job, err) => {
    if (!job) return
    const final = err instanceof UnrecoverableError || job.attemptsMade >= (job.opts.attempts ?? 1)
    opts.log.warn({ jobId: job.id, deliveryId: job.data.deliveryId, err: err.message, final }, 'webhook delivery job failed')
    if (final) withTenantScope(job.data.tenantId, () => failDelivery(opts.pool, job.data.tenantId, job.data.deliveryId, `the delivery could not be carried out: ${err.message}`)).catch(() => {})
  })
  worker.on('error', (err) => opts.log.error({ err: err.message }, 'webhook worker error'))
  return worker
}
