import { UnrecoverableError, Worker } from 'bullmq'
import type pg from 'pg'
import type { Logger } from 'pino'
import type { PrismaClient } from '../src/db/prisma.js'
import { withTenantScope } from '../src/db/db-scope.js'
import { countScan, instrumentWorker } from '../src/metrics/job-metrics.js'
import type { Metrics } from '../src/metrics/metrics.js'
import { RUN_SCAN, SCAN_QUEUE, SCHEDULED_SCAN, type RunScanJob, type ScanJob, type ScheduledScanJob } from '../src/queue/scan-queue.js'
import type { LivePublisher } from '../src/live/live-publisher.js'
import { redisConnection } from '../src/queue/queues.js'
import { executeScan, markScanFailed, type ScanDeps } from '../src/scans/execute-scan.js'
import { runScheduledScan } from '../src/scans/scheduled-run.js'

export interface ScanWorkerOptions {
  pool: pg.Pool
  prisma: PrismaClient
  redisUrl: string
  prefix: string
  concurrency: number
  log: Logger
  /** Counts jobs, events examined and detection rows (src/metrics); none when left out. */
  metrics?: Metrics
  /** Announces new detections to subscribers (src/live); none when left out. */
  live?: LivePublisher
}

/** The BullMQ worker for scans over stored events: manual scans, rescans and scheduled runs. */
export function startScanWorker(opts: ScanWorkerOptions): Worker<ScanJob> {
  const worker = new Worker<ScanJob>(
    SCAN_QUEUE,
    async (job) => {
      const live = opts.live
      const deps: ScanDeps = { pool: opts.pool, prisma: opts.prisma, onDetectionsCreated: live ? (ids) => live.publish(job.data.tenantId, { type: 'detections-created', ids }) : undefined }
      const log = opts.log.child({ queue: SCAN_QUEUE, jobId: job.id, job: job.name, tenantId: job.data.tenantId, attempt: job.attemptsMade + 1 })
      // Row-level security: a scan sees its own tenant's rows only.
      return withTenantScope(job.data.tenantId, async () => {
        if (job.name === RUN_SCAN) {
          const { scanId, tenantId } = job.data as RunScanJob
          const outcome = await executeScan(deps, scanId, tenantId)
          log.info({ scanId, ...outcome }, 'scan finished')
          if (opts.metrics && outcome.status === 'SUCCEEDED') countScan(opts.metrics, outcome)
          return outcome
        }
        if (job.name === SCHEDULED_SCAN) {
          const { scheduleId, tenantId } = job.data as ScheduledScanJob
          const outcome = await runScheduledScan(deps, { scheduleId, tenantId, jobId: job.id ?? `${job.timestamp}` }, new Date())
          log.info({ scheduleId, ...outcome }, 'scheduled scan finished')
          if (opts.metrics && outcome.status === 'SUCCEEDED') countScan(opts.metrics, outcome)
          return outcome
        }
        throw new UnrecoverableError(`unknown scan job "${job.name}"`)
      })
    },
    { connection: redisConnection(opts.redisUrl), prefix: opts.prefix, concurrency: opts.concurrency },
  )
  worker.on('failed', (job, err) => {
    if (!job) return
    const final = err instanceof UnrecoverableError || job.attemptsMade >= (job.opts.attempts ?? 1)
    opts.log.warn({ queue: SCAN_QUEUE, jobId: job.id, job: job.name, tenantId: job.data.tenantId, scanId: job.name === RUN_SCAN ? (job.data as RunScanJob).scanId : undefined, err: err.message, final }, 'scan job failed')
    if (final && job.name === RUN_SCAN) {
      const { scanId, tenantId } = job.data as RunScanJob
      withTenantScope(tenantId, () => markScanFailed(opts.pool, scanId, err.message)).catch(() => {})
    }
  })
  worker.on('error', (err) => opts.log.error({ queue: SCAN_QUEUE, err: err.message }, 'scan worker error'))
  if (opts.metrics) instrumentWorker(worker, opts.metrics)
  return worker
}
