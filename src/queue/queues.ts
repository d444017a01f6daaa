import { Queue, type ConnectionOptions } from 'bullmq'
import type pg from 'pg'
import { fairUploadPriority } from './fair-priority.js'

/** Queue names, payloads and producers shared by the API (producer) and jobs/ (consumer). */

export const UPLOAD_QUEUE = 'uploads'

export interface ProcessUploadJob {
  uploadId: string
  tenantId: string
}

/** BullMQ connection options from a redis:// URL; workers need `maxRetriesPerRequest: null`. */
export function redisConnection(redisUrl: string): ConnectionOptions {
  const u = new URL(redisUrl)
  return {
    host: u.hostname,
    port: Number(u.port || 6379),
    username: u.username ? decodeURIComponent(u.username) : undefined,
    password: u.password ? decodeURIComponent(u.password) : undefined,
    db: u.pathname.length > 1 ? Number(u.pathname.slice(1)) : 0,
    tls: u.protocol === 'rediss:' ? {} : undefined,
    maxRetriesPerRequest: null,
  }
}

export function createUploadQueue(redisUrl: string, prefix: string): Queue<ProcessUploadJob> {
  return new Queue<ProcessUploadJob>(UPLOAD_QUEUE, { connection: redisConnection(redisUrl), prefix })
}

/**
 * Enqueues the processing of an upload. The job id is the upload id, so enqueueing twice (a retried
 * request, the reconciler) never runs an upload twice at once. The priority is computed here, for
 * every upload job, so tenants share the workers fairly (see fair-priority.ts).
 */
export async function enqueueUpload(queue: Queue<ProcessUploadJob>, pool: pg.Pool, job: ProcessUploadJob): Promise<void> {
  await addUploadJob(queue, job, await fairUploadPriority(pool, job))
}

/**
 * Adds an upload's job with a priority already known (the reconciler ranks a tenant's unfinished
 * uploads by age), with the options every upload job has.
 */
export async function addUploadJob(queue: Queue<ProcessUploadJob>, job: ProcessUploadJob, priority: number): Promise<void> {
  await queue.add('process-upload', job, {
    jobId: job.uploadId,
    priority,
    attempts: 5,
    backoff: { type: 'exponential', delay: 2_000 },
    removeOnComplete: { age: 24 * 3600, count: 10_000 },
    removeOnFail: { age: 7 * 24 * 3600 },
  })
}
