import type { Queue } from 'bullmq'
import type pg from 'pg'
import { withSystemScope } from '../db/db-scope.js'
import { markScanFailed } from '../scans/execute-scan.js'
import { allScanSchedules } from '../store/scan-schedules.js'
import type { RecurringJob, UnfinishedWork } from './reconciler.js'
import { enqueueScan, schedulerIdOf, syncScanScheduler, type RunScanJob, type ScanJob } from './scan-queue.js'

/**
 * Scans as reconciled work: a scan is unfinished while it is QUEUED or RUNNING in Postgres. Its
 * job is `run-scan` with the scan id as job id, as runScan and rescanUpload add it. A scheduled
 * run whose job Redis lost is run the same way: its window is in its row; the schedule's next run
 * starts where the last recorded one ended, so nothing is skipped.
 */

interface UnfinishedScan extends RunScanJob {
  runs: number
}

/** Runs after which a scan whose final failure was lost is failed rather than run again. */
const MAX_SCAN_RUNS = 10

export function unfinishedScans(pool: pg.Pool, queue: Queue<ScanJob>): UnfinishedWork<UnfinishedScan> {
  return {
    kind: 'scan',
    queue,
    listUnfinished: () =>
      withSystemScope(async () => {
        const { rows } = await pool.query<{ id: string; tenant_id: string; attempts: number }>(
          `SELECT id, tenant_id, attempts FROM scans WHERE status IN ('QUEUED', 'RUNNING') ORDER BY created_at, id`,
        )
        return rows.map((r) => ({ scanId: r.id, tenantId: r.tenant_id, runs: r.attempts }))
      }),
    jobId: (s) => s.scanId,
    enqueue: (s) => enqueueScan(queue, { scanId: s.scanId, tenantId: s.tenantId }),
    async retryAfterLostFailure(s, reason) {
      if (s.runs < MAX_SCAN_RUNS) return true
      await withSystemScope(() => markScanFailed(pool, s.scanId, `gave up after ${s.runs} runs; last error: ${reason}`))
      return false
    },
  }
}

/** The job schedulers of every unpaused scan schedule in Postgres, restored when Redis lost them. */
export function scanSchedulers(pool: pg.Pool, queue: Queue<ScanJob>): RecurringJob {
  return {
    name: 'scan schedules',
    async ensureScheduled() {
      const schedules = (await withSystemScope(() => allScanSchedules(pool))).filter((s) => !s.paused)
      let restored = false
      for (const s of schedules) {
        if ((await queue.getJobScheduler(schedulerIdOf(s.id))) !== undefined) continue
        await syncScanScheduler(queue, s)
        restored = true
      }
      return restored
    },
  }
}
