import { Buffer } from 'node:buffer'

/**
 * Text encodings of an upload. Windows tools (wevtutil, PowerShell 5 `Out-File`/`>`) write
 * UTF-16 with a BOM; anything else is read as UTF-8. UTF-16 is recognized by its BOM, or without
 * one when the first character is `<` or `{` followed or preceded by a NUL byte (never valid in
 * our UTF-8 formats). Big-endian input is byte-swapped to little-endian as it streams, so the
 * line splitter handles one UTF-16 layout; byte offsets are unchanged by the swap.
 */

export type TextEncoding = 'utf8' | 'utf16le' | 'utf16be'

export function sniffEncoding(head: Uint8Array): TextEncoding {
  if (head.length < 2) return 'utf8'
  const [a, b] = [head[0]!, head[1]!]
  if (a === 0xff && b === 0xfe) return 'utf16le'
  if (a === 0xfe && b === 0xff) return 'utf16be'
  if (b === 0 && (a === 0x3c || a === 0x7b)) return 'utf16le'
  if (a === 0 && (b === 0x3c || b === 0x7b)) return 'utf16be'
  return 'utf8'
}

/**
 * Re-chunks UTF-16 into even-length little-endian buffers (a code unit is never split across
 * chunks, so a `0A 00` newline is always found whole). A final odd byte is yielded on its own;
 * the splitter reports the line it ends as invalid.
 */
export async function* utf16LittleEndian(input: AsyncIterable<Uint8Array>, bigEndian: boolean): AsyncGenerator<Buffer> {
  let odd: number | null = null
  for await (const piece of input) {
    const total = piece.byteLength + (odd === null ? 0 : 1)
    if (odd === null && !bigEndian && (piece.byteLength & 1) === 0) {
      if (piece.byteLength > 0) yield Buffer.from(piece.buffer, piece.byteOffset, piece.byteLength)
      continue
    }
    if (total < 2) {
      if (total === 1) odd ??= piece[0]!
      continue
    }
    const usable = total & ~1
    const out = Buffer.allocUnsafe(usable)
    const lead = odd === null ? 0 : 1
    if (odd !== null) out[0] = odd
    const take = usable - lead
    Buffer.from(piece.buffer, piece.byteOffset, piece.byteLength).copy(out, lead, 0, take)
    odd = take < piece.byteLength ? piece[piece.byteLength - 1]! : null
    if (bigEndian) out.swap16()
    yield out
  }
  if (odd !== null) yield Buffer.from([odd])
}

/** The index (even) of the first `0A 00` newline unit at or after `from` (even), or -1. */
export function indexOfNewlineUnit(buf: Buffer, from: number): number {
  for (let i = buf.indexOf(0x0a, from); i >= 0; i = buf.indexOf(0x0a, i + 1)) {
    if ((i & 1) === 0 && buf[i + 1] === 0) return i
  }
  return -1
}

/** The code-unit index of the first unpaired surrogate in `s`, or -1. */
export function firstLoneSurrogate(s: string): number {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c < 0xd800 || c > 0xdfff) continue
    if (c <= 0xdbff) {
      const next = s.charCodeAt(i + 1)
      if (next >= 0xdc00 && next <= 0xdfff) {
        i++
        continue
      }
    }
    return i
  }
  return -1
}
