import { PayloadTooLargeError } from '../errors.js'

/**
 * The bytes of an upload, with the limit error of graphql-upload (which cuts a multipart file at
 * its maxFileSize and fails the stream with an http-errors 413) reported as Watchpost's own
 * PAYLOAD_TOO_LARGE, the same answer POST /v1/uploads gives, instead of an internal error.
 */
export async function* reportingUploadLimit(body: AsyncIterable<Uint8Array>, limit: number): AsyncGenerator<Uint8Array> {
  try {
    yield* body
  } catch (err) {
    if ((err as { status?: unknown } | null)?.status === 413) throw new PayloadTooLargeError(`upload exceeds the limit of ${limit} bytes`, { limit })
    throw err
  }
}
