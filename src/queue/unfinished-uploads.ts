import type { Queue } from 'bullmq'
import type pg from 'pg'
import { markUploadFailed } from '../../jobs/process-upload.js'
import { withSystemScope } from '../db/db-scope.js'
import { MAX_PRIORITY } from './fair-priority.js'
import { addUploadJob, type ProcessUploadJob } from './queues.js'
import type { UnfinishedWork } from './reconciler.js'

/**
 * Uploads as reconciled work: an upload is unfinished while it is QUEUED or RUNNING in Postgres.
 * Its job is `process-upload` with the upload id as job id, as the API adds it.
 */

export interface UnfinishedUpload extends ProcessUploadJob {
  /** Runs started so far (uploads.attempts). */
  runs: number
  /** 1 for the tenant's oldest unfinished upload, 2 for the next… */
  place: number
}

/**
 * Runs after which an upload whose final failure was lost is failed rather than run again: twice
 * a job's five attempts. It bounds an upload that kills its worker every time (each death is a
 * stalled job, and BullMQ fails a job on its second stall).
 */
export const MAX_UPLOAD_RUNS = 10

export function unfinishedUploads(pool: pg.Pool, queue: Queue<ProcessUploadJob>): UnfinishedWork<UnfinishedUpload> {
  return {
    kind: 'upload',
    queue,
    // Every tenant's uploads: the system scope of row-level security.
    listUnfinished: () =>
      withSystemScope(async () => {
        const { rows } = await pool.query<{ id: string; tenant_id: string; attempts: number; place: string }>(
          `SELECT id, tenant_id, attempts, row_number() OVER (PARTITION BY tenant_id ORDER BY created_at, id) AS place
           FROM uploads WHERE status IN ('QUEUED', 'RUNNING') ORDER BY created_at, id`,
        )
        return rows.map((r) => ({ uploadId: r.id, tenantId: r.tenant_id, runs: r.attempts, place: Number(r.place) }))
      }),
    jobId: (u) => u.uploadId,
    // The fair priority (fair-priority.ts) the upload would have had in a queue rebuilt in order of age.
    enqueue: (u) => addUploadJob(queue, { uploadId: u.uploadId, tenantId: u.tenantId }, Math.min(u.place, MAX_PRIORITY)),
    async retryAfterLostFailure(u, reason) {
      if (u.runs < MAX_UPLOAD_RUNS) return true
      await withSystemScope(() => markUploadFailed(pool, u.uploadId, `gave up after ${u.runs} runs; last error: ${reason}`))
      return false
    },
  }
}
