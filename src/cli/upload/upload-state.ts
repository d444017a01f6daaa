/**
 * An upload as `watchpost upload` reports it: the fields of GET /v1/uploads/:id and of the
 * uploadProgress subscription alike (the same names in both).
 */
export interface UploadState {
  id: string
  status: 'QUEUED' | 'RUNNING' | 'SUCCEEDED' | 'SUCCEEDED_WITH_ERRORS' | 'FAILED'
  eventCount: number
  processEvents: number
  skipped: number
  errorCount: number
  errors: { line: number; offset: number; message: string }[]
  failureReason: string | null
  detectionRows: number
  progress: { bytesProcessed: number; bytesTotal: number; eventsProcessed: number; bytesPerSecond: number | null; eventsPerSecond: number | null; etaSeconds: number | null }
}

export const FINISHED_STATUSES: ReadonlySet<string> = new Set(['SUCCEEDED', 'SUCCEEDED_WITH_ERRORS', 'FAILED'])

/** The selection of the uploadProgress subscription that fills an UploadState. */
export const UPLOAD_STATE_FIELDS =
  'id status eventCount processEvents skipped errorCount errors { line offset message } failureReason detectionRows progress { bytesProcessed bytesTotal eventsProcessed bytesPerSecond eventsPerSecond etaSeconds }'
