import { detectFormat } from '../ingest/index.js'
import { InvalidInputError } from '../errors.js'
import type { AppDeps } from '../graphql/context.js'
import { enqueueUpload } from '../queue/queues.js'
import { tenantUploadLimit } from '../store/tenant-limits.js'
import { receiveUpload } from '../store/uploads.js'
import { reportingUploadLimit } from './upload-limit-error.js'
import { settledWithin } from '../runtime/settled-within.js'

/**
 * The one way logs enter Watchpost (GraphQL multipart and POST /v1/uploads): store every byte in
 * Postgres in one transaction, then enqueue. Once stored, the upload is accepted whatever Redis
 * does: if enqueueing fails or Redis does not answer within ENQUEUE_WAIT_MS, the upload stays
 * QUEUED in Postgres (the source of truth) and the workers' reconciler (src/queue/reconciler.ts)
 * enqueues it. An error before the commit leaves nothing stored (RELIABILITY.md).
 */

/**
 * How long an accepted upload's answer waits for Redis to take its job. The client retries
 * rather than waits on a hung Redis; the add itself goes on and the reconciler stands behind it.
 */
export const ENQUEUE_WAIT_MS = 3_000

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
  await settledWithin(enqueueUpload(deps.uploadQueue, deps.pool, { uploadId: received.id, tenantId }), ENQUEUE_WAIT_MS)
  return received.id
}

