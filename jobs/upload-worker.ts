import { UnrecoverableError, WaitingError, Worker, type Job } from 'bullmq'
import type pg from 'pg'
import type { Logger } from 'pino'
import type { PrismaClient } from '../src/db/prisma.js'
import { withTenantScope } from '../src/db/db-scope.js'
import { countProcessedUpload, instrumentWorker } from '../src/metrics/job-metrics.js'
import type { Metrics } from '../src/metrics/metrics.js'
import type { LivePublisher } from '../src/live/live-publisher.js'
import { processMemoryGovernor } from '../src/runtime/memory-governor.js'
import { UPLOAD_QUEUE, redisConnection, type ProcessUploadJob } from '../src/queue/queues.js'
import { markUploadFailed, processUpload, type GzipLimits, type ProcessUploadDeps } from './process-upload.js'

export interface UploadWorkerOptions {
  pool: pg.Pool
  prisma: PrismaClient
  redisUrl: string
  prefix: string
  concurrency: number
  /**
   * A running job's lock (BullMQ lockDuration, renewed every half of it), and how often the
   * worker looks for jobs whose worker died (stalledInterval): such a job is taken over within
   * about two of these. Default 30 s.
   */
  lockDurationMs?: number
  log: Logger
  gzipLimits?: GzipLimits
  /** Counts jobs, events, bytes and detection rows (src/metrics); none when left out. */
  metrics?: Metrics
  /** Announces progress, status changes and new detections to subscribers (src/live); none when left out. */
  live?: LivePublisher
  /** How often a running job writes (and announces) its progress; default 1 s. */
  progressIntervalMs?: number
}

/** The BullMQ worker for uploads: thin; the work is processUpload. */
export function startUploadWorker(opts: UploadWorkerOptions): Worker<ProcessUploadJob> {
  const worker = new Worker<ProcessUploadJob>(
    UPLOAD_QUEUE,
    // The third parameter makes BullMQ give the job an abort signal (src/queue/close-worker.ts).
    async (job, token, signal) => {
      const log = opts.log.child({ queue: UPLOAD_QUEUE, jobId: job.id, uploadId: job.data.uploadId, tenantId: job.data.tenantId, attempt: job.attemptsMade + 1 })
      const { uploadId, tenantId } = job.data
      const onProgress: ProcessUploadDeps['onProgress'] = opts.live
        ? (r) => opts.live!.publish(tenantId, { type: 'upload-progress', uploadId, bytesProcessed: r.bytesProcessed, eventsProcessed: r.eventsProcessed, startedAt: r.startedAt.toISOString(), at: r.at.toISOString() })
        : undefined
      log.info('upload job started')
      const collectionsBefore = processMemoryGovernor().collections
      let result: Awaited<ReturnType<typeof processUpload>>
      try {
        // Row-level security: the job sees its own tenant's rows only.
        result = await withTenantScope(job.data.tenantId, () => processUpload({ pool: opts.pool, prisma: opts.prisma, gzipLimits: opts.gzipLimits, signal, onProgress, progressIntervalMs: opts.progressIntervalMs }, uploadId, tenantId))
      } catch (err) {
        if (!signal?.aborted || token === undefined) throw err
        await handBack(opts.pool, job, token)
        opts.live?.publish(tenantId, { type: 'upload-changed', uploadId })
        log.info('upload job handed back to the queue: the worker is shutting down')
        // BullMQ's way to end a job that was moved out of active: not a failure, no attempt spent.
        throw new WaitingError()
      }
      // Committed: now subscribers may hear of it (never before, so none sees what a rollback undoes).
      opts.live?.publish(tenantId, { type: 'upload-changed', uploadId })
      if (result.createdDetectionIds.length > 0) opts.live?.publish(tenantId, { type: 'detections-created', ids: result.createdDetectionIds })
      // Collections forced to keep memory bounded (shared with concurrent jobs): a sign of how much garbage the job made.
      const gcCollections = processMemoryGovernor().collections - collectionsBefore
      log.info({ status: result.status, events: result.stats.events, detectionRows: result.detectionRows, gcCollections }, 'upload job finished')
      if (opts.metrics && result.status === 'SUCCEEDED') {
        const { stats } = result
        countProcessedUpload(opts.metrics, { status: result.outcome, sizeBytes: result.sizeBytes, events: stats.events, processEvents: stats.processEvents, errorCount: stats.errorCount, detectionRows: result.detectionRows })
      }
      return { status: result.status, events: result.stats.events, detectionRows: result.detectionRows }
    },
    {
      connection: redisConnection(opts.redisUrl),
      prefix: opts.prefix,
      concurrency: opts.concurrency,
      lockDuration: opts.lockDurationMs ?? 30_000,
      stalledInterval: opts.lockDurationMs ?? 30_000,
    },
  )
  worker.on('failed', (job, err) => {
    if (!job) return
    const final = err instanceof UnrecoverableError || job.attemptsMade >= (job.opts.attempts ?? 1)
    opts.log.warn({ queue: UPLOAD_QUEUE, jobId: job.id, uploadId: job.data.uploadId, tenantId: job.data.tenantId, err: err.message, final }, 'upload job failed')
    if (final) opts.metrics?.uploadsProcessed.inc({ status: 'FAILED' })
    const { uploadId, tenantId } = job.data
    if (final) {
      withTenantScope(tenantId, () => markUploadFailed(opts.pool, uploadId, err.message))
        .then(() => opts.live?.publish(tenantId, { type: 'upload-changed', uploadId }))
        .catch(() => {})
    }
  })
  worker.on('error', (err) => opts.log.error({ queue: UPLOAD_QUEUE, err: err.message }, 'worker error'))
  if (opts.metrics) instrumentWorker(worker, opts.metrics)
  return worker
}

/**
 * Gives an interrupted job back: the upload is QUEUED again (its transaction was rolled back, so
 * nothing of this attempt remains), then the job returns to the queue with its priority, for the
 * next worker to start over.
 */
async function handBack(pool: pg.Pool, job: Job<ProcessUploadJob>, token: string): Promise<void> {
  await withTenantScope(job.data.tenantId, () => pool.query(`UPDATE uploads SET status = 'QUEUED', started_at = NULL WHERE id = $1 AND status = 'RUNNING'`, [job.data.uploadId]))
  await job.moveToWait(token)
}
