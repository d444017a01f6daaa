import { Buffer } from 'node:buffer'
import { crc32 } from 'node:zlib'
import { ENTRY_CUT_SHORT, filesOverCap, isFileEntry, shownName, type ArchivePart } from '../archive/archive-part.js'
import { ByteCursor } from '../bytes/byte-cursor.js'
import { DecompressionError, inflateRawBounded, type InflateLimits } from '../bytes/gunzip.js'
import { DescriptorScanner } from './entry-data-end.js'

/**
 * A ZIP archive, streamed from its first byte to its central directory: each entry is found by
 * its local header and its data handed out inflated, one entry at a time, so an archive is read
 * as it arrives (an upload, standard input) and never held whole. Reads what archivers write:
 * stored and deflated entries, sizes in the local header or in a data descriptor after the data
 * (entry-data-end.ts), ZIP64 sizes, UTF-8 or legacy names. Every entry's CRC-32 and size are
 * checked. An entry that cannot be read (encrypted, another compression method, damaged data) is
 * one error and the next entry is read; bytes that are not a ZIP header end the archive with an
 * error. The inflated bytes of all entries together are capped like a gzip upload's.
 */

const LOCAL_HEADER_SIGNATURE = 0x04034b50
const CENTRAL_DIRECTORY_SIGNATURES = new Set([0x02014b50, 0x06054b50, 0x06064b50, 0x07064b50, 0x05054b50])
/** "PK00": written before the first entry of an archive that was meant to be split, and nothing else. */
const SPANNING_MARKER = 0x30304b50
const LOCAL_HEADER_BYTES = 30
const ZIP64_EXTRA = 0x0001
const FLAG_ENCRYPTED = 0x0001
const FLAG_DATA_DESCRIPTOR = 0x0008
const FLAG_UTF8_NAME = 0x0800
const STORED = 0
const DEFLATED = 8
const COMPRESSION_METHODS: Record<number, string> = { 1: 'Shrink', 6: 'Implode', 9: 'Deflate64', 12: 'bzip2', 14: 'LZMA', 93: 'Zstandard', 95: 'xz', 98: 'PPMd', 99: 'AES encryption' }

/** Whether `head` (after gzip) starts a ZIP archive with an entry. */
export const isZipArchive = (head: Uint8Array): boolean =>
  head.length >= 4 && [LOCAL_HEADER_SIGNATURE, SPANNING_MARKER].includes(Buffer.from(head.buffer, head.byteOffset, 4).readUInt32LE(0))

interface LocalHeader {
  readonly flags: number
  readonly method: number
  readonly crc32: number
  readonly compressedSize: number
  readonly uncompressedSize: number
  readonly zip64: boolean
  readonly name: string
}

const utf8 = new TextDecoder('utf-8', { fatal: true })

/** A name as stored: UTF-8 when flagged so or when valid as such (most tools), else byte by byte; as shown. */
function decodeName(bytes: Buffer, flags: number): string {
  let name: string
  if ((flags & FLAG_UTF8_NAME) !== 0) name = bytes.toString('utf8')
  else {
    try {
      name = utf8.decode(bytes)
    } catch {
      name = bytes.toString('latin1')
    }
  }
  return shownName(name)
}

/** The ZIP64 extended-information field's sizes, for those the header gives as 0xFFFFFFFF. */
function zip64Sizes(extra: Buffer, compressed: number, uncompressed: number): { compressed: number; uncompressed: number; found: boolean } {
  for (let at = 0; at + 4 <= extra.length; ) {
    const id = extra.readUInt16LE(at)
    const size = extra.readUInt16LE(at + 2)
    if (id === ZIP64_EXTRA) {
      let field = at + 4
      const next = (): number => {
        const v = field + 8 <= at + 4 + size && field + 8 <= extra.length ? Number(extra.readBigUInt64LE(field)) : -1
        field += 8
        return v
      }
      const u = uncompressed === 0xffffffff ? next() : uncompressed
      const c = compressed === 0xffffffff ? next() : compressed
      return { compressed: c, uncompressed: u, found: true }
    }
    at += 4 + size
  }
  return { compressed, uncompressed, found: false }
}

export async function* readZipArchive(input: AsyncIterable<Uint8Array>, limits: InflateLimits): AsyncGenerator<ArchivePart> {
  const cursor = new ByteCursor(input[Symbol.asyncIterator]())
  let inflated = 0
  try {
    const marker = await cursor.read(4)
    if (marker.length < 4 || marker.readUInt32LE(0) !== SPANNING_MARKER) cursor.unread(marker)
    for (let index = 0; ; index++) {
      const offset = cursor.offset
      const signatureBytes = await cursor.read(4)
      if (signatureBytes.length < 4) {
        yield { kind: 'error', index, name: null, offset, message: `the archive ends at byte ${offset} without its central directory: it is cut short (the entries before were read)` }
        return
      }
      const signature = signatureBytes.readUInt32LE(0)
      if (CENTRAL_DIRECTORY_SIGNATURES.has(signature)) return
      if (signature !== LOCAL_HEADER_SIGNATURE) {
        yield { kind: 'error', index, name: null, offset, message: `no ZIP entry header at byte ${offset} of the archive (it is damaged); the rest of the archive was not read` }
        return
      }
      const header = await readLocalHeader(cursor, offset)
      if (typeof header === 'string') {
        yield { kind: 'error', index, name: null, offset, message: header }
        return
      }
      const dataStart = cursor.offset
      const file = isFileEntry(header.name)
      const problem = file ? unreadable(header) : null
      const data = file && problem === null ? entryData(cursor, header, { ...limits, maxBytes: limits.maxBytes - inflated }) : null
      if (problem !== null) yield { kind: 'error', index, name: header.name, offset, message: `entry ${header.name}: ${problem}` }
      if (data !== null) {
        yield { kind: 'entry', index, name: header.name, offset, data: data.bytes }
        inflated += data.inflated()
        if (inflated >= limits.maxBytes) return
      }
      const end = await skipRest(cursor, dataStart, header, data?.scanner ?? null)
      if (end !== null && data?.cutReported() === true) return
      if (end !== null) {
        yield { kind: 'error', index, name: header.name, offset, message: `entry ${header.name}: ${end}` }
        return
      }
    }
  } finally {
    await cursor.close()
  }
}

async function readLocalHeader(cursor: ByteCursor, offset: number): Promise<LocalHeader | string> {
  const fixed = await cursor.read(LOCAL_HEADER_BYTES - 4)
  if (fixed.length < LOCAL_HEADER_BYTES - 4) return `the archive ends inside the entry header at byte ${offset}: it is cut short`
  const flags = fixed.readUInt16LE(2)
  const nameBytes = await cursor.read(fixed.readUInt16LE(22))
  const extra = await cursor.read(fixed.readUInt16LE(24))
  if (extra.length < fixed.readUInt16LE(24)) return `the archive ends inside the entry header at byte ${offset}: it is cut short`
  const sizes = zip64Sizes(extra, fixed.readUInt32LE(14), fixed.readUInt32LE(18))
  if (sizes.compressed < 0 || sizes.uncompressed < 0) return `the entry header at byte ${offset} has a damaged ZIP64 size field; the rest of the archive was not read`
  return {
    flags,
    method: fixed.readUInt16LE(4),
    crc32: fixed.readUInt32LE(10),
    compressedSize: sizes.compressed,
    uncompressedSize: sizes.uncompressed,
    zip64: sizes.found,
    name: decodeName(nameBytes, flags),
  }
}

/** Why an entry's data cannot be read, or null. */
function unreadable(header: LocalHeader): string | null {
  if ((header.flags & FLAG_ENCRYPTED) !== 0 || header.method === 99) return 'it is encrypted, which is not read: add it to the archive without a password'
  if (header.method === STORED || header.method === DEFLATED) return null
  const method = COMPRESSION_METHODS[header.method] ?? `method ${header.method}`
  return `it is compressed with ${method}, which is not read: use Deflate (the ZIP default) or no compression`
}

interface EntryData {
  readonly bytes: AsyncIterable<Buffer>
  /** Bytes handed out so far. */
  inflated(): number
  /** Finds the data's end when the sizes follow the data. */
  readonly scanner: DescriptorScanner | null
  /** Whether reading the data met the archive's end (and said so). */
  cutReported(): boolean
}

function entryData(cursor: ByteCursor, header: LocalHeader, limits: InflateLimits): EntryData {
  const scanner = (header.flags & FLAG_DATA_DESCRIPTOR) !== 0 ? new DescriptorScanner(cursor, header.zip64) : null
  const end = cursor.offset + header.compressedSize
  let cut = false
  async function* compressed(): AsyncGenerator<Buffer> {
    if (scanner === null) {
      yield* cursor.take(header.compressedSize)
      cut = cursor.offset < end
      return
    }
    for (let piece = await scanner.next(); piece !== null; piece = await scanner.next()) yield piece
    cut = scanner.descriptor === null
  }
  let total = 0
  async function* bytes(): AsyncGenerator<Buffer> {
    let crc = 0
    const source = header.method === DEFLATED ? inflateRawBounded(compressed(), limits) : compressed()
    try {
      for await (const piece of source) {
        total += piece.length
        if (header.method === STORED && total > limits.maxBytes) throw filesOverCap()
        crc = crc32(piece, crc)
        yield piece
      }
    } catch (err) {
      // Deflate data that stops short fails to inflate: the cut is the reason.
      if (cut) throw new DecompressionError(ENTRY_CUT_SHORT, false)
      throw err
    }
    if (cut) throw new DecompressionError(ENTRY_CUT_SHORT, false)
    const expected = scanner?.descriptor ?? header
    // Without ZIP64 the size fields hold the low 32 bits of the size.
    const size = header.zip64 ? total : total % 0x1_0000_0000
    if (size !== expected.uncompressedSize || crc !== expected.crc32) {
      throw new DecompressionError(`its data does not match its CRC-32 and size (${total} bytes read, ${expected.uncompressedSize} recorded): it is damaged`, false)
    }
  }
  return { bytes: bytes(), inflated: () => total, scanner, cutReported: () => cut }
}

/**
 * Moves the cursor past what is left of an entry's data (all of it when it was not read) and its
 * data descriptor; the reason when the archive ends first.
 */
async function skipRest(cursor: ByteCursor, dataStart: number, header: LocalHeader, scanner: DescriptorScanner | null): Promise<string | null> {
  if ((header.flags & FLAG_DATA_DESCRIPTOR) === 0) {
    const end = dataStart + header.compressedSize
    if (cursor.offset < end) for await (const _ of cursor.take(end - cursor.offset));
    return cursor.offset < end ? ENTRY_CUT_SHORT : null
  }
  const rest = scanner ?? new DescriptorScanner(cursor, header.zip64)
  while ((await rest.next()) !== null);
  return rest.descriptor === null ? ENTRY_CUT_SHORT : null
}
