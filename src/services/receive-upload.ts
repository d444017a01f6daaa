import { detectFormat } from '../ingest/index.js'
import { InvalidInputError } from '../errors.js'
import type { AppDeps } from '../graphql/context.js'
import { enqueueUpload } from '../queue/queues.js'
import { tenantUploadLimit } from '../store/tenant-limits.js'
import { receiveUpload } from '../store/uploads.js'
import { reportingUploadLimit } from './upload-limit-error.js'

/**
 * The one way logs enter Watchpost (GraphQL multipart and POST /v1/uploads): store every byte in
 * Postgres in one transaction, then enqueue. If enqueueing fails, the upload stays QUEUED in
 * Postgres (the source of truth) and is picked up again when it is re-enqueued.
 */

/** Client-facing format names (GraphQL enum values, the `format` query parameter). */
export const FORMAT_NAMES = { AUTO: null, WINDOWS_XML: 'windows-xml', NDJSON: 'ndjson' } as const

export type FormatName = keyof typeof FORMAT_NAMES

export function parseFormatName(value: string | null | undefined, field = 'format'): string | null {
  if (value == null || value === '') return null
  const key = value.toUpperCase().replaceAll('-', '_') as FormatName
  if (!(key in FORMAT_NAMES)) {
    throw new InvalidInputError(`unknown ${field} "${value}"; expected one of ${Object.keys(FORMAT_NAMES).join(', ')}`, { field })
  }
  return FORMAT_NAMES[key]
}

const FILE_NAME = /^[^\u0000-\u001f/\\]{1,255}$/

export async function acceptUpload(
  deps: AppDeps,
  tenantId: string,
  fileName: string,
  format: string | null,
  body: AsyncIterable<Uint8Array>,
): Promise<string> {
  if (!FILE_NAME.test(fileName)) throw new InvalidInputError('file name must be 1-255 characters without slashes or control characters', { field: 'fileName' })
  // The tenant's own limit, set by the operator, overrides MAX_UPLOAD_BYTES in either direction.
  const maxBytes = await tenantUploadLimit(deps.pool, tenantId, deps.config.maxUploadBytes)
  const received = await receiveUpload(
    deps.pool,
    { tenantId, fileName, formatOverride: format, detectFormat: (head) => detectFormat(head), maxBytes },
    reportingUploadLimit(body, maxBytes),
  )
  await enqueueUpload(deps.uploadQueue, deps.pool, { uploadId: received.id, tenantId })
  return received.id
}
