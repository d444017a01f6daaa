import type { Queue } from 'bullmq'
import type pg from 'pg'
import type { ProcessUploadJob } from './queues.js'
import type { UnfinishedWork } from './reconciler.js'
import type { ScanJob } from './scan-queue.js'
import { unfinishedScans } from './unfinished-scans.js'
import { unfinishedUploads } from './unfinished-uploads.js'
import { unfinishedWebhookDeliveries } from './unfinished-webhook-deliveries.js'
import type { WebhookDeliveryJob } from './webhook-queue.js'

/**
 * Every kind of work the workers carry out from a Postgres table, for the reconciler
 * (reconciler.ts). A new kind of job whose truth is a table with a QUEUED/RUNNING status (scans,
 * for example) is added to this list with an UnfinishedWork of its own, and its queue to
 * WorkQueues; nothing else changes.
 */

/** The queues of the reconciled work. */
export interface WorkQueues {
  uploads: Queue<ProcessUploadJob>
  /** Absent: scans are left out (tests of the other kinds). */
  scans?: Queue<ScanJob>
  /** Absent: webhook deliveries are left out (tests of the other kinds). */
  webhookDeliveries?: Queue<WebhookDeliveryJob>
}

export function unfinishedWork(pool: pg.Pool, queues: WorkQueues): UnfinishedWork<unknown>[] {
  return [unfinishedUploads(pool, queues.uploads), ...(queues.scans ? [unfinishedScans(pool, queues.scans)] : []), ...(queues.webhookDeliveries ? [unfinishedWebhookDeliveries(pool, queues.webhookDeliveries)] : [])]
}
