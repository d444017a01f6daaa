import { Queue } from 'bullmq'
import { redisConnection } from './queues.js'
import type { RecurringJob } from './reconciler.js'

/**
 * Housekeeping jobs that the worker processes run on a schedule. They have a queue of their own:
 * in the upload queue they would take part in the tenants' fair priorities (fair-priority.ts).
 */

export const MAINTENANCE_QUEUE = 'maintenance'

/** The job (and its job scheduler's id) that purges expired data (src/store/retention.ts). */
export const RETENTION_SWEEP = 'retention-sweep'

export function createMaintenanceQueue(redisUrl: string, prefix: string): Queue {
  return new Queue(MAINTENANCE_QUEUE, { connection: redisConnection(redisUrl), prefix })
}

/**
 * Registers the retention sweep's job scheduler, or updates its interval. Every worker process
 * does this at start; the scheduler is one per queue, so BullMQ creates one sweep per interval
 * however many workers run, and the first one at once.
 */
export async function scheduleRetentionSweep(queue: Queue, everyMs: number): Promise<void> {
  await queue.upsertJobScheduler(
    RETENTION_SWEEP,
    { every: everyMs },
    { name: RETENTION_SWEEP, opts: { attempts: 1, removeOnComplete: { count: 100 }, removeOnFail: { count: 100 } } },
  )
}

/** The retention sweep's scheduler for the reconciler, which registers it again when Redis lost it. */
export function retentionSweepSchedule(queue: Queue, everyMs: number): RecurringJob {
  return {
    name: RETENTION_SWEEP,
    async ensureScheduled() {
      if (await queue.getJobScheduler(RETENTION_SWEEP)) return false
      await scheduleRetentionSweep(queue, everyMs)
      return true
    },
  }
}
