import { UnrecoverableError, Worker } from 'bullmq'
import type pg from 'pg'
import type { Logger } from 'pino'
import { withSystemScope } from '../src/db/db-scope.js'
import { instrumentWorker } from '../src/metrics/job-metrics.js'
import type { Metrics } from '../src/metrics/metrics.js'
import { createMaintenanceQueue, MAINTENANCE_QUEUE, RETENTION_SWEEP, retentionSweepSchedule, scheduleRetentionSweep } from '../src/queue/maintenance-queue.js'
import { redisConnection } from '../src/queue/queues.js'
import type { RecurringJob } from '../src/queue/reconciler.js'
import { purgeExpired } from '../src/store/retention.js'

export interface MaintenanceOptions {
  pool: pg.Pool
  redisUrl: string
  prefix: string
  retentionSweepIntervalMs: number
  log: Logger
  /** Counts the sweeps as jobs (src/metrics); none when left out. */
  metrics?: Metrics
}

export interface RunningMaintenance {
  /** Its job schedulers, for the reconciler to restore when Redis lost them. */
  recurring: RecurringJob[]
  close(): Promise<void>
}

/**
 * The scheduled housekeeping of a worker process: registers the retention sweep's schedule and
 * runs the sweeps (one at a time per process; a failed sweep is simply retried at the next interval).
 */
export async function startMaintenance(opts: MaintenanceOptions): Promise<RunningMaintenance> {
  const queue = createMaintenanceQueue(opts.redisUrl, opts.prefix)
  await scheduleRetentionSweep(queue, opts.retentionSweepIntervalMs)
  const worker = new Worker(
    MAINTENANCE_QUEUE,
    async (job) => {
      if (job.name !== RETENTION_SWEEP) throw new UnrecoverableError(`unknown maintenance job "${job.name}"`)
      return runRetentionSweep(opts.pool, opts.log.child({ queue: MAINTENANCE_QUEUE, jobId: job.id }))
    },
    { connection: redisConnection(opts.redisUrl), prefix: opts.prefix, concurrency: 1 },
  )
  worker.on('failed', (job, err) => opts.log.error({ queue: MAINTENANCE_QUEUE, jobId: job?.id, err: err.message }, 'maintenance job failed'))
  worker.on('error', (err) => opts.log.error({ queue: MAINTENANCE_QUEUE, err: err.message }, 'maintenance worker error'))
  if (opts.metrics) instrumentWorker(worker, opts.metrics)
  await worker.waitUntilReady()
  return {
    recurring: [retentionSweepSchedule(queue, opts.retentionSweepIntervalMs)],
    async close() {
      await worker.close()
      await queue.close()
    },
  }
}

/**
 * One sweep, logged per tenant with a retention period (what was purged, and up to when). It runs
 * in the system scope of row-level security (db-scope.ts): it reads every tenant's period, and each
 * of its statements names the tenant it purges.
 */
async function runRetentionSweep(pool: pg.Pool, log: Logger): Promise<{ tenants: number; processEvents: number; riskEvents: number; uploadChunks: number }> {
  const purged = await withSystemScope(() => purgeExpired(pool, new Date()))
  for (const p of purged) {
    log.info(
      { tenantId: p.tenantId, tenant: p.tenantName, retentionDays: p.retentionDays, cutoff: p.cutoff.toISOString(), processEvents: p.processEvents, riskEvents: p.riskEvents, uploads: p.uploads, uploadChunks: p.uploadChunks, rawBytes: p.rawBytes },
      'retention purge',
    )
  }
  const total = (key: 'processEvents' | 'riskEvents' | 'uploadChunks'): number => purged.reduce((sum, p) => sum + p[key], 0)
  return { tenants: purged.length, processEvents: total('processEvents'), riskEvents: total('riskEvents'), uploadChunks: total('uploadChunks') }
}
