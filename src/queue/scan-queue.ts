import { Queue } from 'bullmq'
import { redisConnection } from './queues.js'

/**
 * The queue of scans over stored events: manual scans and rescans (one job per `scans` row, the
 * job id being the scan id) and scheduled scans (one BullMQ job scheduler per `scan_schedules`
 * row). Postgres holds the schedules; the schedulers in Redis are derived from them and re-derived
 * at worker start (syncScanSchedulers), so a Redis that lost them gets them back.
 */

export const SCAN_QUEUE = 'scans'
export const RUN_SCAN = 'run-scan'
export const SCHEDULED_SCAN = 'scheduled-scan'

export interface RunScanJob {
  scanId: string
  tenantId: string
}

export interface ScheduledScanJob {
  scheduleId: string
  tenantId: string
}

export type ScanJob = RunScanJob | ScheduledScanJob

export function createScanQueue(redisUrl: string, prefix: string): Queue<ScanJob> {
  return new Queue<ScanJob>(SCAN_QUEUE, { connection: redisConnection(redisUrl), prefix })
}

const RETRIES = { attempts: 5, backoff: { type: 'exponential', delay: 2_000 } }
const KEEP = { removeOnComplete: { age: 24 * 3600, count: 10_000 }, removeOnFail: { age: 7 * 24 * 3600 } }

/** Enqueues a recorded scan; the job id is the scan id, so enqueueing twice runs it once. */
export async function enqueueScan(queue: Queue<ScanJob>, job: RunScanJob): Promise<void> {
  await queue.add(RUN_SCAN, job, { jobId: job.scanId, ...RETRIES, ...KEEP })
}

export const schedulerIdOf = (scheduleId: string): string => `schedule:${scheduleId}`

/** A schedule as its BullMQ job scheduler needs it. */
export interface SchedulerSpec {
  id: string
  tenantId: string
  cron: string
  timeZone: string
  paused: boolean
}

/** Creates, updates or (paused) removes the job scheduler of a schedule. */
export async function syncScanScheduler(queue: Queue<ScanJob>, s: SchedulerSpec): Promise<void> {
  if (s.paused) {
    await queue.removeJobScheduler(schedulerIdOf(s.id))
    return
  }
  await queue.upsertJobScheduler(
    schedulerIdOf(s.id),
    { pattern: s.cron, tz: s.timeZone },
    { name: SCHEDULED_SCAN, data: { scheduleId: s.id, tenantId: s.tenantId }, opts: { ...RETRIES, ...KEEP } },
  )
}

/** Removes a deleted schedule's job scheduler. */
export async function removeScanScheduler(queue: Queue<ScanJob>, scheduleId: string): Promise<void> {
  await queue.removeJobScheduler(schedulerIdOf(scheduleId))
}

/**
 * Makes Redis hold exactly the schedulers of `schedules` (the unpaused ones): upserts them and
 * removes schedulers of schedules that no longer exist or are paused.
 */
export async function syncScanSchedulers(queue: Queue<ScanJob>, schedules: readonly SchedulerSpec[]): Promise<void> {
  const wanted = new Set(schedules.filter((s) => !s.paused).map((s) => schedulerIdOf(s.id)))
  for (const s of schedules) await syncScanScheduler(queue, s)
  const existing = await queue.getJobSchedulers(0, -1)
  for (const e of existing) {
    const id = e.id ?? e.key
    if (!wanted.has(id)) await queue.removeJobScheduler(id)
  }
}
