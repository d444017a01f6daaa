import type pg from 'pg'

/**
 * Fair sharing of the upload workers between tenants: one tenant's 5 GB upload (or its backlog of
 * a hundred) must not delay another tenant's small upload by more than one job slot. Built on
 * BullMQ's open-source job priorities, nothing else.
 *
 * An upload's priority is 1 + the number of its tenant's uploads already waiting or running
 * (QUEUED or RUNNING in Postgres, the source of truth). A tenant's first pending upload has
 * priority 1, its second 2, and so on, so the workers serve tenants in rounds: another tenant's
 * first upload goes ahead of every second, third… upload of a busy tenant, and waits only for the
 * job slot it finds busy (or, when every slot is free, for the priority-1 uploads enqueued before
 * it). Within one priority BullMQ stays FIFO: a prioritized job's score is priority × 2^32 plus an
 * insertion counter (bullmq/dist/esm/commands/includes/getPriorityScore.lua).
 *
 * Every upload job must be prioritized: BullMQ serves its plain wait list (priority 0, the
 * default) before ANY prioritized job (moveToActive-11.lua pops `wait` first, `prioritized` only
 * when it is empty), so one job added without a priority would jump every round. Retries keep
 * their priority (promoteDelayedJobs.lua re-adds delayed jobs by priority); a stalled job goes
 * back to the head of the wait list, which only gives back the slot it already held.
 *
 * Known limits, accepted: priorities are fixed when a job is added, so within ONE tenant a new
 * upload may overtake an older one that was enqueued behind a longer backlog (uploads are
 * independent, so their order inside a tenant changes no result); two uploads of one tenant
 * accepted at the same instant may get the same priority (they then run FIFO).
 */

/** BullMQ's largest priority (bullmq's PRIORITY_LIMIT, 2^21 - 1). */
export const MAX_PRIORITY = 2 ** 21 - 1

/** The priority for `uploadId`: 1 + its tenant's other uploads that are waiting or running. */
export async function fairUploadPriority(pool: pg.Pool, job: { uploadId: string; tenantId: string }): Promise<number> {
  const { rows } = await pool.query<{ pending: number }>(
    `SELECT count(*)::int AS pending FROM uploads
     WHERE tenant_id = $1 AND status IN ('QUEUED', 'RUNNING') AND id <> $2`,
    [job.tenantId, job.uploadId],
  )
  return Math.min(1 + (rows[0]?.pending ?? 0), MAX_PRIORITY)
}
