import type { ScanDeps, ScanOutcome } from './execute-scan.js'
import { executeScan } from './execute-scan.js'
import { scheduleWindow } from './schedule-window.js'
import { selectRuleIds } from './scan-rules.js'
import { createScan, uuidFromText } from '../store/scans.js'
import { recordScheduledRun, scanScheduleById } from '../store/scan-schedules.js'

/**
 * One run of a scan schedule: records a SCHEDULED scan whose window follows the schedule (extended
 * back over missed runs), runs it, and moves the schedule's `covered_until`. The scan's id derives
 * from the job's, so a retried job continues the same scan with the same window rather than
 * recording another.
 */
export async function runScheduledScan(
  deps: ScanDeps,
  job: { scheduleId: string; tenantId: string; jobId: string },
  now: Date,
): Promise<(ScanOutcome & { scanId: string; backfilled: boolean }) | { status: 'SKIPPED'; reason: string }> {
  const schedule = await scanScheduleById(deps.pool, job.tenantId, job.scheduleId)
  if (schedule === null) return { status: 'SKIPPED', reason: 'the schedule was deleted' }
  if (schedule.paused) return { status: 'SKIPPED', reason: 'the schedule is paused' }
  const window = scheduleWindow({ now, windowStartSeconds: schedule.windowStartSeconds, windowEndSeconds: schedule.windowEndSeconds, coveredUntil: schedule.coveredUntil })
  const ruleIds = await selectRuleIds(deps.prisma, job.tenantId, { all: schedule.allRules, ruleIds: schedule.ruleIds, tags: schedule.tags })
  const scan = await createScan(deps.pool, {
    id: uuidFromText(`${job.scheduleId}/${job.jobId}`),
    tenantId: job.tenantId,
    kind: 'SCHEDULED',
    scheduleId: schedule.id,
    windowFrom: window.from,
    windowTo: window.to,
    backfilledFrom: window.backfilledFrom,
    ruleIds,
  })
  const outcome = await executeScan(deps, scan.id, job.tenantId, () => now)
  await recordScheduledRun(deps.pool, job.tenantId, schedule.id, scan.windowTo!, now)
  return { ...outcome, scanId: scan.id, backfilled: scan.backfilledFrom !== null }
}
