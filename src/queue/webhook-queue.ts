import { Queue } from 'bullmq'
import { redisConnection } from './queues.js'

/**
 * The queue of webhook deliveries: one job per `webhook_deliveries` row, the job id being the
 * delivery id, so adding it again (the outbox relay, the reconciler, a redelivery) is a no-op while
 * it lives. The job's own retries are for the worker's troubles (Postgres unreachable); a receiver
 * that fails is retried on the delivery's schedule, which the worker sets by delaying the job
 * (jobs/webhook-worker.ts).
 */

export const WEBHOOK_QUEUE = 'webhooks'
export const DELIVER_WEBHOOK = 'deliver-webhook'

export interface WebhookDeliveryJob {
  deliveryId: string
  tenantId: string
}

export function createWebhookQueue(redisUrl: string, prefix: string): Queue<WebhookDeliveryJob> {
  return new Queue<WebhookDeliveryJob>(WEBHOOK_QUEUE, { connection: redisConnection(redisUrl), prefix })
}

const OPTIONS = {
  attempts: 5,
  backoff: { type: 'exponential', delay: 5_000 },
  removeOnComplete: { age: 24 * 3600, count: 10_000 },
  removeOnFail: { age: 7 * 24 * 3600 },
}

/** Adds the deliveries' jobs (those that already have one keep it). */
export async function enqueueWebhookDeliveries(queue: Queue<WebhookDeliveryJob>, jobs: readonly WebhookDeliveryJob[]): Promise<void> {
  if (jobs.length === 0) return
  await queue.addBulk(jobs.map((data) => ({ name: DELIVER_WEBHOOK, data, opts: { jobId: data.deliveryId, ...OPTIONS } })))
}
