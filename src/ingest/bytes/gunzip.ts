import { Readable } from 'node:stream'
import { createGunzip, createInflateRaw } from 'node:zlib'
import { peek } from './peek.js'

/**
 * Streaming gunzip with two caps, so a small "zip bomb" upload cannot make the worker read
 * gigabytes: the inflated size (`maxBytes`), and the inflated:compressed ratio once the first
 * `ratioGraceBytes` are out (`maxRatio`). Logs compress about 5-20:1; runs of one byte, which is
 * what bombs are made of, about 1000:1, so the ratio stops a bomb after ~1 MiB of output instead
 * of at the absolute cap. Corrupt or truncated gzip and an exceeded cap surface as
 * `DecompressionError` (reported as an ingest error); failures of the source itself propagate.
 */

export interface InflateLimits {
  /** Most bytes the data may inflate to. */
  maxBytes: number
  /** Largest inflated:compressed ratio past `ratioGraceBytes` of output; Infinity (or 0) for none. */
  maxRatio: number
  /** Output before the ratio is checked (default 1 MiB): short inputs can have any ratio. */
  ratioGraceBytes?: number
}

export const DEFAULT_RATIO_GRACE_BYTES = 1024 * 1024

export class DecompressionError extends Error {
  override readonly name = 'DecompressionError'
  constructor(
    message: string,
    /** True when the data was cut at a cap (the last partial line is not data). */
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

export const isGzip = (head: Uint8Array): boolean => head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b

/** `input` as the reader sees it: inflated (within `limits`) when it is gzip, else as it is. */
export async function gunzipIfGzip(input: AsyncIterable<Uint8Array>, limits: InflateLimits): Promise<AsyncIterable<Uint8Array>> {
  const { head, rest } = await peek(input, 2)
  return isGzip(head) ? gunzipBounded(rest, limits) : rest
}

/** A gzip stream (one or more members), inflated within `limits`. */
export const gunzipBounded = (input: AsyncIterable<Uint8Array>, limits: InflateLimits): AsyncGenerator<Buffer> => inflateBounded(input, limits, 'gzip')

/** Raw deflate data (a ZIP entry's), inflated within `limits`. */
export const inflateRawBounded = (input: AsyncIterable<Uint8Array>, limits: InflateLimits): AsyncGenerator<Buffer> => inflateBounded(input, limits, 'deflate')

async function* inflateBounded(input: AsyncIterable<Uint8Array>, limits: InflateLimits, kind: 'gzip' | 'deflate'): AsyncGenerator<Buffer> {
  const maxRatio = limits.maxRatio > 0 ? limits.maxRatio : Infinity
  const grace = limits.ratioGraceBytes ?? DEFAULT_RATIO_GRACE_BYTES
  const source = Readable.from(input, { objectMode: false })
  const inflater = kind === 'gzip' ? createGunzip({ chunkSize: 256 * 1024 }) : createInflateRaw({ chunkSize: 256 * 1024 })
  source.on('error', (err) => inflater.destroy(err))
  source.pipe(inflater)
  let total = 0
  try {
    for await (const out of inflater as AsyncIterable<Buffer>) {
      total += out.length
      // bytesWritten: compressed bytes zlib has consumed so far (not merely buffered).
      const compressed = inflater.bytesWritten
      if (total > limits.maxBytes) {
        throw new DecompressionError(`${kind} data inflates to more than ${limits.maxBytes} bytes (maxDecompressedBytes; stopped after ${compressed} compressed bytes); rest not read`, true)
      }
      if (total > grace && total > maxRatio * compressed) {
        const ratio = Math.floor(total / Math.max(1, compressed))
        throw new DecompressionError(
          `${kind} data inflates more than ${maxRatio}:1 (${total} bytes from ${compressed} compressed bytes, ${ratio}:1; maxDecompressionRatio), likely a decompression bomb; rest not read`,
          true,
        )
      }
      yield out
    }
  } catch (err) {
    if (isZlibError(err)) throw new DecompressionError(`invalid ${kind} data: ${err.message}`, false)
    throw err
  } finally {
    source.destroy()
    inflater.destroy()
  }
}
