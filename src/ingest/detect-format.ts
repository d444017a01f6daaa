import { constants, gunzipSync } from 'node:zlib'
import type { LogFormat } from './types.js'

/**
 * Names the format of an upload from its first bytes, never from its file name: `<` after an
 * optional BOM and whitespace is Windows XML, `{` is JSON lines. A gzip head is partially
 * inflated first. Anything else is `'unknown'` (the reader still reports each bad line).
 */

export type DetectedFormat = LogFormat | 'unknown'

/** How much of a gzip head is inflated for detection: bounded even for a pathological ratio. */
const GZIP_PROBE_BYTES = 4096

export const isGzip = (head: Uint8Array): boolean => head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b

export function detectFormat(head: Uint8Array): DetectedFormat {
  let bytes = head
  if (isGzip(head)) {
    try {
      // Z_SYNC_FLUSH returns what the truncated head inflates to instead of failing on its end.
      bytes = gunzipSync(head.subarray(0, GZIP_PROBE_BYTES), { finishFlush: constants.Z_SYNC_FLUSH })
    } catch {
      return 'unknown'
    }
  }
  let i = bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0
  while (i < bytes.length && (bytes[i] === 0x20 || bytes[i] === 0x09 || bytes[i] === 0x0a || bytes[i] === 0x0d)) i++
  if (bytes[i] === 0x3c) return 'windows-xml'
  if (bytes[i] === 0x7b) return 'ndjson'
  return 'unknown'
}
