/**
 * An upload's progress as the API shows it (LogUpload.progress, GET /v1/uploads/:id), computed
 * when read from the figures the worker writes about once a second (bytes and events read, and
 * when it wrote them: jobs/process-upload.ts). Rates are over the run so far (the attempt that is
 * running, or the last one): what Splunk's and Elastic's ingest views show, steadier than an
 * instantaneous rate from one-second samples.
 */

export interface UploadProgressFigures {
  status: string
  sizeBytes: bigint | number
  bytesProcessed: bigint | number
  eventsProcessed: bigint | number
  /** Events read in total, once the upload has finished. */
  eventCount: number
  startedAt: Date | null
  /** When the worker last wrote bytesProcessed and eventsProcessed. */
  progressAt: Date | null
  finishedAt: Date | null
}

export interface UploadProgress {
  bytesProcessed: number
  bytesTotal: number
  fraction: number
  eventsProcessed: number
  startedAt: Date | null
  updatedAt: Date | null
  bytesPerSecond: number | null
  eventsPerSecond: number | null
  etaSeconds: number | null
}

const SUCCEEDED = new Set(['SUCCEEDED', 'SUCCEEDED_WITH_ERRORS'])

export function uploadProgressOf(u: UploadProgressFigures, now: Date): UploadProgress {
  const total = Number(u.sizeBytes)
  const succeeded = SUCCEEDED.has(u.status)
  const running = u.status === 'RUNNING'
  const bytes = succeeded ? total : Math.min(Number(u.bytesProcessed), total)
  const events = succeeded ? u.eventCount : Number(u.eventsProcessed)
  const fraction = total === 0 ? (u.finishedAt ? 1 : 0) : bytes / total
  // A queued upload (never started, or handed back after a shutdown) has no current run.
  const startedAt = u.status === 'QUEUED' ? null : u.startedAt
  const asOf = u.finishedAt ?? u.progressAt
  const seconds = startedAt && asOf ? (asOf.getTime() - startedAt.getTime()) / 1000 : 0
  const bytesPerSecond = seconds > 0 ? bytes / seconds : null
  const eventsPerSecond = seconds > 0 ? events / seconds : null
  let etaSeconds: number | null = succeeded ? 0 : null
  if (running && bytesPerSecond && u.progressAt) {
    // The estimate is as of the worker's last figures; the time since then is already spent.
    const sinceReport = (now.getTime() - u.progressAt.getTime()) / 1000
    etaSeconds = Math.max(0, (total - bytes) / bytesPerSecond - sinceReport)
  }
  return { bytesProcessed: bytes, bytesTotal: total, fraction, eventsProcessed: events, startedAt, updatedAt: asOf, bytesPerSecond, eventsPerSecond, etaSeconds }
}
