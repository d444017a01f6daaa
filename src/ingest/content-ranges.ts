import { Buffer } from 'node:buffer'
import { ARCHIVE_HEAD_BYTES, archiveReader } from './archive/archives.js'
import { entryAt, entryBase } from './archive/entry-window.js'
import { DecompressionError, gunzipIfGzip, type InflateLimits } from './bytes/gunzip.js'
import { peek } from './bytes/peek.js'

/**
 * Byte ranges of a file's content as the reader saw it (read-event-batches.ts) — inflated when it
 * is gzip, and for an archive (ZIP, tar) each file of it in its window (archive/entry-window.ts)
 * — e.g. an event's raw text from its recorded offset and length. Read in one pass from the
 * start, up to the last range, keeping only the ranges' bytes; entries of an archive that hold
 * none of them are skipped without inflating them.
 */

export interface ContentRange {
  readonly offset: number
  readonly length: number
}

interface Wanted extends ContentRange {
  readonly i: number
  readonly parts: Buffer[]
}

/** No caps: the reader already read this content within them, and only the part up to the last range is inflated. */
const UNCAPPED: InflateLimits = { maxBytes: Infinity, maxRatio: 0 }

/** The bytes of each range, in order; null for a range the content does not hold whole (or damaged data cuts short). */
export async function readContentRanges(input: AsyncIterable<Uint8Array>, ranges: readonly ContentRange[]): Promise<(Buffer | null)[]> {
  const wanted: Wanted[] = ranges.map((r, i) => ({ ...r, i, parts: [] })).filter((r) => r.offset >= 0 && r.length >= 0)
  const out: (Buffer | null)[] = ranges.map(() => null)
  if (wanted.length === 0) return out
  const { head, rest } = await peek(await gunzipIfGzip(input, UNCAPPED), ARCHIVE_HEAD_BYTES)
  const archive = archiveReader(head)
  if (archive === null) await collect(rest, wanted, 0)
  else {
    const last = Math.max(...wanted.map((r) => entryAt(r.offset).index))
    for await (const part of archive(rest, UNCAPPED)) {
      if (part.kind !== 'entry') continue
      const inEntry = wanted.filter((r) => entryAt(r.offset).index === part.index)
      if (inEntry.length > 0) await collect(await gunzipIfGzip(part.data, UNCAPPED), inEntry, entryBase(part.index))
      if (part.index >= last) break
    }
  }
  for (const r of wanted) {
    const bytes = Buffer.concat(r.parts)
    if (bytes.length === r.length) out[r.i] = bytes
  }
  return out
}

/** Copies the ranges' bytes out of `content`, whose first byte is at content offset `base`; stops after the last. */
async function collect(content: AsyncIterable<Uint8Array>, wanted: readonly Wanted[], base: number): Promise<void> {
  const end = Math.max(...wanted.map((r) => r.offset + r.length))
  let position = base
  try {
    for await (const piece of content) {
      const next = position + piece.byteLength
      for (const r of wanted) {
        const from = Math.max(r.offset, position)
        const to = Math.min(r.offset + r.length, next)
        if (from < to) r.parts.push(Buffer.from(piece.subarray(from - position, to - position)))
      }
      position = next
      if (position >= end) break
    }
  } catch (err) {
    // Damaged data ends the read; the ranges it reached whole are still good.
    if (!(err instanceof DecompressionError)) throw err
  }
}
