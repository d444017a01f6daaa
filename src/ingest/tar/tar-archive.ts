import { Buffer } from 'node:buffer'
import { ENTRY_CUT_SHORT, filesOverCap, isFileEntry, shownName, type ArchivePart } from '../archive/archive-part.js'
import { ByteCursor } from '../bytes/byte-cursor.js'
import { DecompressionError, type InflateLimits } from '../bytes/gunzip.js'

/**
 * A tar archive (usually gzip-compressed: `.tar.gz`, `.tgz`, inflated before it gets here),
 * streamed header by header: 512-byte headers, each file's data after its header padded to 512.
 * Reads the ustar, GNU and POSIX (pax) formats that tar writes: long names from GNU `L` entries or
 * pax `path` records, sizes in octal, base-256 (GNU, over 8 GiB) or pax `size`. Every header's
 * checksum is checked: bytes that are not a header end the archive with an error. Links, devices
 * and folders hold no file to read; a sparse file is one error. The files' bytes together are
 * capped like an inflated upload's.
 */

const BLOCK = 512
const NAME = [0, 100] as const
const SIZE = [124, 12] as const
const CHECKSUM = [148, 8] as const
const TYPE = 156
const MAGIC = 257
const PREFIX = [345, 155] as const

/** Whether `head` starts with a tar header: the ustar magic (POSIX `ustar\0` or GNU `ustar  \0`) and a valid checksum. */
export function isTarArchive(head: Uint8Array): boolean {
  if (head.length < BLOCK) return false
  const block = Buffer.from(head.buffer, head.byteOffset, BLOCK)
  const magic = block.toString('latin1', MAGIC, MAGIC + 6)
  return (magic === 'ustar\0' || magic === 'ustar ') && checksumHolds(block)
}

/** The header's checksum: the sum of its bytes, the checksum field counted as spaces. */
function checksumHolds(block: Buffer): boolean {
  const recorded = octal(block, CHECKSUM[0], CHECKSUM[1])
  if (recorded === null) return false
  let sum = 0
  for (let i = 0; i < BLOCK; i++) sum += i >= CHECKSUM[0] && i < CHECKSUM[0] + CHECKSUM[1] ? 0x20 : block[i]!
  return sum === recorded
}

/** An octal field (NUL- or space-terminated), or GNU's base-256 (high bit of the first byte set); null when it is neither. */
function octal(block: Buffer, at: number, length: number): number | null {
  if ((block[at]! & 0x80) !== 0) {
    let n = block[at]! & 0x7f
    for (let i = at + 1; i < at + length; i++) n = n * 256 + block[i]!
    return n
  }
  const text = block.toString('latin1', at, at + length).replace(/[\0 ]+$/, '').trim()
  return /^[0-7]*$/.test(text) ? (text === '' ? 0 : parseInt(text, 8)) : null
}

const text = (block: Buffer, [at, length]: readonly [number, number]): string => {
  const raw = block.subarray(at, at + length)
  const end = raw.indexOf(0)
  return raw.subarray(0, end < 0 ? raw.length : end).toString('utf8')
}

/** A pax extended header's records (`<length> <key>=<value>\n`). */
function paxRecords(data: Buffer): Map<string, string> {
  const records = new Map<string, string>()
  const all = data.toString('utf8')
  for (let at = 0; at < all.length; ) {
    const space = all.indexOf(' ', at)
    const length = Number(all.slice(at, space))
    if (space < 0 || !Number.isInteger(length) || length <= 0) break
    const record = all.slice(space + 1, at + length - 1)
    const eq = record.indexOf('=')
    if (eq > 0) records.set(record.slice(0, eq), record.slice(eq + 1))
    at += length
  }
  return records
}

export async function* readTarArchive(input: AsyncIterable<Uint8Array>, limits: InflateLimits): AsyncGenerator<ArchivePart> {
  const cursor = new ByteCursor(input[Symbol.asyncIterator]())
  let total = 0
  /** What GNU `L` and pax `x` headers say of the next entry. */
  let next: { name?: string; size?: number } = {}
  try {
    for (let index = 0; ; index++) {
      const offset = cursor.offset
      const block = await cursor.read(BLOCK)
      if (block.length < BLOCK) {
        yield { kind: 'error', index, name: null, offset, message: `the archive ends at byte ${offset} without its end blocks: it is cut short (the entries before were read)` }
        return
      }
      if (block.every((b) => b === 0)) return
      if (!checksumHolds(block)) {
        yield { kind: 'error', index, name: null, offset, message: `no tar header at byte ${offset} of the archive (it is damaged); the rest of the archive was not read` }
        return
      }
      const type = String.fromCharCode(block[TYPE]!)
      const size = next.size ?? octal(block, SIZE[0], SIZE[1]) ?? 0
      const prefix = text(block, PREFIX)
      const name = shownName(next.name ?? (prefix !== '' ? `${prefix}/${text(block, NAME)}` : text(block, NAME)))
      const end = cursor.offset + Math.ceil(size / BLOCK) * BLOCK
      /** What the reader of the entry's data took of it, and whether it met the archive's end (and said so). */
      const handed = { bytes: 0, cutReported: false }
      if (type === 'L' || type === 'x' || type === 'g') {
        const data = await cursor.read(size)
        if (data.length < size) {
          yield { kind: 'error', index, name: null, offset, message: `the archive ends inside the header at byte ${offset}: it is cut short` }
          return
        }
        if (type === 'L') next = { ...next, name: data.toString('utf8').replace(/\0[\s\S]*$/, '') }
        if (type === 'x') {
          const records = paxRecords(data)
          const paxSize = records.has('size') ? Number(records.get('size')) : undefined
          next = { ...next, ...(records.has('path') ? { name: records.get('path') } : {}), ...(paxSize !== undefined && Number.isSafeInteger(paxSize) ? { size: paxSize } : {}) }
        }
      } else {
        next = {}
        if (type === 'S') yield { kind: 'error', index, name, offset, message: `entry ${name}: it is a sparse file, which is not read: add it to the archive as a whole file` }
        // Regular files ('0', NUL in old archives, '7' contiguous); links, devices and folders hold none.
        else if ((type === '0' || type === '\0' || type === '7') && isFileEntry(name)) {
          const budget = limits.maxBytes - total
          async function* data(): AsyncGenerator<Buffer> {
            for await (const piece of cursor.take(size)) {
              handed.bytes += piece.length
              if (handed.bytes > budget) throw filesOverCap()
              yield piece
            }
            if (handed.bytes < size) {
              handed.cutReported = true
              throw new DecompressionError(ENTRY_CUT_SHORT, false)
            }
          }
          yield { kind: 'entry', index, name, offset, data: data() }
        }
      }
      total += handed.bytes
      if (cursor.offset < end) for await (const _ of cursor.take(end - cursor.offset));
      if (cursor.offset < end) {
        if (!handed.cutReported) yield { kind: 'error', index, name, offset, message: `entry ${name}: ${ENTRY_CUT_SHORT}` }
        return
      }
      if (total >= limits.maxBytes) return
    }
  } finally {
    await cursor.close()
  }
}
