import { Buffer } from 'node:buffer'
import { sniffEncoding } from './bytes/encoding.js'

/**
 * The text of one event's raw bytes (an item's `rawOffset`/`rawLength` range of the decompressed
 * upload). An event starts with `<` or `{`, so its own first two bytes tell UTF-16 (`3C 00` /
 * `00 3C`) from UTF-8 without reading the start of the upload again. Bytes that do not decode
 * (which the reader would have refused) become U+FFFD.
 */
export function rawEventText(bytes: Uint8Array): string {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const encoding = sniffEncoding(buf)
  if (encoding === 'utf8') return buf.toString('utf8')
  const units = Buffer.from(buf.subarray(0, buf.length & ~1))
  if (encoding === 'utf16be') units.swap16()
  return units.toString('utf16le')
}
