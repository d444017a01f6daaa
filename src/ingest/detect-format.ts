import { Buffer } from 'node:buffer'
import { constants, gunzipSync } from 'node:zlib'
import { sniffEncoding } from './bytes/encoding.js'
import { isGzip } from './bytes/gunzip.js'
import { isEvtxFile } from './evtx/evtx-file.js'
import { isZipArchive } from './zip/zip-archive.js'
import type { LogFormat } from './types.js'

/**
 * Names the format of an upload from its first bytes, never from its file name: `ElfFile` is an
 * EVTX file, `PK\x03\x04` a ZIP archive (of log files); `<` after an optional BOM and whitespace
 * is Windows XML, `{` (or `[`, an array of objects) is JSON. A gzip head is partially inflated
 * first, and UTF-16 (with a BOM, or `<`/`{` next to a NUL) is decoded as the reader would.
 * Anything else is `'unknown'` (the reader still reports each bad line).
 */

export type DetectedFormat = LogFormat | 'evtx' | 'zip' | 'unknown'

/** How much of a gzip head is inflated for detection: bounded even for a pathological ratio. */
const GZIP_PROBE_BYTES = 4096


function firstCharacter(bytes: Uint8Array): string {
  const encoding = sniffEncoding(bytes)
  let text: string
  if (encoding === 'utf8') text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1')
  else {
    const units = Buffer.from(bytes.subarray(0, bytes.byteLength & ~1))
    if (encoding === 'utf16be') units.swap16()
    text = units.toString('utf16le')
  }
  const start = text.startsWith('\uFEFF') ? 1 : text.startsWith('\xEF\xBB\xBF') ? 3 : 0
  const m = /[^ \t\r\n]/.exec(text.slice(start))
  return m === null ? '' : m[0]
}

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
  if (isEvtxFile(bytes)) return 'evtx'
  if (isZipArchive(bytes)) return 'zip'
  const c = firstCharacter(bytes)
  return c === '<' ? 'windows-xml' : c === '{' || c === '[' ? 'ndjson' : 'unknown'
}
