import { Buffer } from 'node:buffer'
import { constants, gunzipSync } from 'node:zlib'
import { sniffEncoding } from './bytes/encoding.js'
import { isGzip } from './bytes/gunzip.js'
import { csvHeader } from './csv/csv-fields.js'
import { isEvtxFile } from './evtx/evtx-file.js'
import { archiveFormat, type ArchiveFormat } from './archive/archives.js'
import type { LogFormat } from './types.js'

/**
 * Names the format of an upload from its first bytes, never from its file name: `ElfFile` is an
 * EVTX file, `PK\x03\x04` a ZIP archive and a ustar header a tar archive (of log files); `<` after an optional BOM and whitespace
 * is Windows XML, `{` (or `[`, an array of objects) is JSON, a header naming event fields is CSV
 * (csv/csv-fields.ts). A gzip head is partially inflated first, and UTF-16 (with a BOM, or `<`/`{`
 * next to a NUL) is decoded as the reader would. Anything else is `'unknown'` (the reader still
 * reports each bad line).
 */

export type DetectedFormat = LogFormat | 'evtx' | ArchiveFormat | 'csv' | 'unknown'

/** How much of a gzip head is inflated for detection: bounded even for a pathological ratio. */
const GZIP_PROBE_BYTES = 4096


/** The first line of `bytes` as text (decoded as the reader would), without leading blank lines. */
function firstLine(bytes: Uint8Array): string {
  const encoding = sniffEncoding(bytes)
  let text: string
  if (encoding === 'utf8') text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8')
  else {
    const units = Buffer.from(bytes.subarray(0, bytes.byteLength & ~1))
    if (encoding === 'utf16be') units.swap16()
    text = units.toString('utf16le')
  }
  return text.replace(/^\uFEFF/, '').replace(/^[ \t\r\n]+/, '').split(/\r?\n/, 1)[0] ?? ''
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
  const archive = archiveFormat(bytes)
  if (archive !== null) return archive
  const line = firstLine(bytes)
  const c = line.charAt(0)
  return c === '<' ? 'windows-xml' : c === '{' || c === '[' ? 'ndjson' : csvHeader(line) !== null ? 'csv' : 'unknown'
}
