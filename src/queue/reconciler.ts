import type { Queue } from 'bullmq'
import type { Logger } from 'pino'

/**
 * Postgres is the source of truth; Redis only holds the jobs that carry work out. When Redis loses
 * them (FLUSHALL, a restart without persistence, eviction) or never got them (the API died between
 * storing an upload and enqueueing it), the work would wait forever. The reconciler closes that
 * gap: each worker process runs it at start and every RECONCILE_INTERVAL_MS. It asks every kind of
 * work for what Postgres calls unfinished and gives each item a job again when Redis has none.
 *
 * A job's id is the item's id (the producer's own scheme), so adding it when it already exists is
 * a no-op: several workers may reconcile at once, and the API may enqueue at the same moment.
 * Re-enqueueing can still start an item a second time while a first run goes on (Redis lost the
 * job, not the worker), so a kind's job must be safe to run twice: serialized on the item and a
 * no-op once the item is finished (the upload job holds an advisory lock and writes in one transaction).
 */

/** A kind of work whose truth is a Postgres table (status QUEUED/RUNNING…) and whose jobs live in a BullMQ queue. */
export interface UnfinishedWork<Item> {
  /** Names the work in logs and reports: 'upload', 'scan'. */
  readonly kind: string
  /** The queue its jobs are added to. */
  readonly queue: Queue
  /** Every item Postgres says is unfinished (waiting or running), oldest first. */
  listUnfinished(): Promise<Item[]>
  /** The id its producer gives the item's job. */
  jobId(item: Item): string
  /** Adds the item's job as its producer does (same id, attempts, backoff). */
  enqueue(item: Item): Promise<void>
  /**
   * The item's job failed for good in Redis, yet Postgres still calls the item unfinished: the
   * final failure never reached Postgres (it was unreachable then, or the worker died). Returns
   * true when the item should run again with fresh attempts; otherwise records the failure
   * (`reason`, the job's last error) in Postgres and returns false.
   */
  retryAfterLostFailure(item: Item, reason: string): Promise<boolean>
}

/** A job scheduler derived from Postgres or configuration, which Redis may have lost. */
export interface RecurringJob {
  readonly name: string
  /** Creates the scheduler when Redis has none; true when it had to. */
  ensureScheduled(): Promise<boolean>
}

/** What one pass did for one kind of work. */
export interface ReconcileReport {
  kind: string
  /** Items Postgres calls unfinished. */
  unfinished: number
  /** Items whose job was missing from Redis, now enqueued. */
  enqueued: number
  /** Items whose job had ended (completed, or failed for good) while Postgres still waits: run again. */
  rerun: number
  /** Items whose lost final failure was recorded in Postgres instead. */
  failuresRecorded: number
}

const LIVE_STATES = new Set(['waiting', 'prioritized', 'active', 'delayed', 'waiting-children'])
/** Redis round trips in flight at once while reading job states. */
const STATE_BATCH = 200

/** One pass over every kind of work and every recurring job. Throws when Postgres or Redis cannot answer. */
export async function reconcileOnce(work: readonly UnfinishedWork<unknown>[], recurring: readonly RecurringJob[]): Promise<{ work: ReconcileReport[]; schedulesRestored: string[] }> {
  const reports: ReconcileReport[] = []
  for (const kind of work) reports.push(await reconcileKind(kind))
  const schedulesRestored: string[] = []
  for (const job of recurring) if (await job.ensureScheduled()) schedulesRestored.push(job.name)
  return { work: reports, schedulesRestored }
}

async function reconcileKind<Item>(work: UnfinishedWork<Item>): Promise<ReconcileReport> {
  const report: ReconcileReport = { kind: work.kind, unfinished: 0, enqueued: 0, rerun: 0, failuresRecorded: 0 }
  const items = await work.listUnfinished()
  report.unfinished = items.length
  for (let at = 0; at < items.length; at += STATE_BATCH) {
    const batch = items.slice(at, at + STATE_BATCH)
    const states = await Promise.all(batch.map((item) => work.queue.getJobState(work.jobId(item))))
    // Enqueued one by one, oldest first: the queue keeps their order within a priority.
    for (const [i, item] of batch.entries()) {
      const state = states[i]!
      if (LIVE_STATES.has(state)) continue
      if (state === 'unknown') {
        await work.enqueue(item)
        report.enqueued++
      } else if (state === 'completed') {
        // Postgres, the truth, still waits for it (its status was set back, or the job's writes were lost).
        if (await replaceEndedJob(work, item)) report.rerun++
      } else {
        const job = await work.queue.getJob(work.jobId(item))
        const reason = job?.failedReason || 'the job failed'
        if (await work.retryAfterLostFailure(item, reason)) {
          if (await replaceEndedJob(work, item)) report.rerun++
        } else {
          report.failuresRecorded++
        }
      }
    }
  }
  return report
}

/** Removes an ended job and adds it again; false when it came alive meanwhile (another reconciler). */
async function replaceEndedJob<Item>(work: UnfinishedWork<Item>, item: Item): Promise<boolean> {
  const removed = await work.queue.remove(work.jobId(item)).catch(() => 0)
  if (removed !== 1) return false
  await work.enqueue(item)
  return true
}

export interface ReconcilerOptions {
  work: readonly UnfinishedWork<unknown>[]
  recurring: readonly RecurringJob[]
  intervalMs: number
  log: Logger
}

export interface RunningReconciler {
  /** Runs a pass now (after the one in progress, if any). */
  runNow(): Promise<void>
  close(): Promise<void>
}

/**
 * Starts a pass at once (not awaited: a worker starting while Postgres is down must still start),
 * then every `intervalMs`, on a timer of this process: the schedule must not live in Redis, which
 * is what it repairs. A pass that fails (Postgres or Redis unreachable) is logged and simply tried
 * again at the next tick; the worker keeps running.
 */
export function startReconciler(opts: ReconcilerOptions): RunningReconciler {
  let running: Promise<void> = Promise.resolve()
  let pending = 0
  let closed = false
  const pass = async (): Promise<void> => {
    const started = Date.now()
    try {
      const result = await reconcileOnce(opts.work, opts.recurring)
      const repaired = result.work.filter((r) => r.enqueued + r.rerun + r.failuresRecorded > 0)
      const details = { durationMs: Date.now() - started, work: result.work, schedulesRestored: result.schedulesRestored }
      // Something to repair means Redis lost jobs (or the API died before enqueueing): worth a warning.
      if (repaired.length > 0 || result.schedulesRestored.length > 0) opts.log.warn(details, 'reconciler re-enqueued unfinished work that Redis had no job for')
      else opts.log.debug(details, 'reconciler: every unfinished item has a job')
    } catch (err) {
      opts.log.error({ err: (err as Error).message }, 'reconciler pass failed; retrying at the next interval')
    }
  }
  const runNow = (): Promise<void> => {
    if (closed) return running
    pending++
    running = running.then(pass).finally(() => pending--)
    return running
  }
  void runNow()
  // A tick that finds a pass still running (a slow Postgres, a long backlog) is skipped, not queued.
  const timer = setInterval(() => pending > 0 || void runNow(), opts.intervalMs)
  return {
    runNow,
    async close() {
      closed = true
      clearInterval(timer)
      await running
    },
  }
}
