import { UnrecoverableError, type Job, type Worker } from 'bullmq'
import type { Metrics } from './metrics.js'

/**
 * Job metrics of a BullMQ worker, from its events: each attempt started, and how it ended —
 * `completed`, `retried` (failed, BullMQ tries again) or `failed` (for good) — with its duration.
 * An attempt handed back to the queue at shutdown ends with none of these (started minus
 * finished is what runs, or was handed back).
 */
export function instrumentWorker(worker: Worker, metrics: Metrics): void {
  const queue = worker.name
  worker.on('active', (job: Job) => metrics.jobsStarted.inc({ queue, name: job.name }))
  worker.on('completed', (job: Job) => finished(metrics, queue, job, 'completed'))
  worker.on('failed', (job: Job | undefined, err: Error) => {
    if (job) finished(metrics, queue, job, isFinalFailure(job, err) ? 'failed' : 'retried')
  })
  worker.on('error', () => metrics.workerErrors.inc({ queue }))
}

/** As BullMQ decides: an unrecoverable error, or the last attempt. */
function isFinalFailure(job: Job, err: Error): boolean {
  return err instanceof UnrecoverableError || job.attemptsMade >= (job.opts.attempts ?? 1)
}

function finished(metrics: Metrics, queue: string, job: Job, outcome: 'completed' | 'retried' | 'failed'): void {
  const labels = { queue, name: job.name, outcome }
  metrics.jobsFinished.inc(labels)
  // BullMQ stamps both with the worker's clock when it moves the job.
  if (job.processedOn) metrics.jobDuration.observe(labels, Math.max(0, (job.finishedOn ?? Date.now()) - job.processedOn) / 1000)
}

/** What an upload job did, once its transaction committed (an upload already done counts nothing). */
export interface ProcessedUpload {
  status: 'SUCCEEDED' | 'SUCCEEDED_WITH_ERRORS' | 'FAILED'
  sizeBytes: number
  events: number
  processEvents: number
  errorCount: number
  detectionRows: number
}

export function countProcessedUpload(metrics: Metrics, u: ProcessedUpload): void {
  metrics.uploadsProcessed.inc({ status: u.status })
  metrics.uploadBytes.inc(u.sizeBytes)
  metrics.eventsProcessed.inc(u.events)
  metrics.processEvents.inc(u.processEvents)
  metrics.eventErrors.inc(u.errorCount)
  metrics.detectionRows.inc({ source: 'upload' }, u.detectionRows)
}

/** What a scan did, once it committed. */
export function countScan(metrics: Metrics, s: { eventsExamined: number; detectionsWritten: number }): void {
  metrics.scanEventsExamined.inc(s.eventsExamined)
  metrics.detectionRows.inc({ source: 'scan' }, s.detectionsWritten)
}
