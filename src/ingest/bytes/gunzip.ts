import { Readable } from 'node:stream'
import { createGunzip } from 'node:zlib'

/**
 * Streaming gunzip with a cap on the inflated size, so a small "zip bomb" upload cannot make the
 * worker read gigabytes. Corrupt or truncated gzip and an exceeded cap surface as
 * `DecompressionError` (reported as an ingest error); failures of the source itself propagate.
 */

export class DecompressionError extends Error {
  override readonly name = 'DecompressionError'
  constructor(
    message: string,
    /** True when the data was cut at the cap (the last partial line is not data). */
    readonly capped: boolean,
  ) {
    super(message)
  }
}

/** zlib failures carry a `Z_…` code (Z_DATA_ERROR, Z_BUF_ERROR for a truncated stream…). */
function isZlibError(err: unknown): err is Error {
  const code: unknown = err instanceof Error ? Reflect.get(err, 'code') : undefined
  return typeof code === 'string' && code.startsWith('Z_')
}

export async function* gunzipBounded(input: AsyncIterable<Uint8Array>, maxBytes: number): AsyncGenerator<Buffer> {
  const source = Readable.from(input, { objectMode: false })
  const gunzip = createGunzip({ chunkSize: 256 * 1024 })
  source.on('error', (err) => gunzip.destroy(err))
  source.pipe(gunzip)
  let total = 0
  try {
    for await (const out of gunzip as AsyncIterable<Buffer>) {
      total += out.length
      if (total > maxBytes) throw new DecompressionError(`gzip data inflates to more than ${maxBytes} bytes (maxDecompressedBytes); rest not read`, true)
      yield out
    }
  } catch (err) {
    if (isZlibError(err)) throw new DecompressionError(`invalid gzip data: ${err.message}`, false)
    throw err
  } finally {
    source.destroy()
    gunzip.destroy()
  }
}
