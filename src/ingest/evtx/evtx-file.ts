import { Buffer } from 'node:buffer'
import { ChunkRenderer } from './binxml.js'
import { EvtxFormatError } from './evtx-format-error.js'

/**
 * A Windows event log file (EVTX), streamed: a 4 KiB file header, then 64 KiB chunks, each a
 * header with the chunk's string and template tables and its event records. Every record is
 * rendered to the XML Windows would show for it; one chunk is held at a time, so memory stays
 * bounded whatever the file's size. A record, or a chunk, that does not follow the format is
 * reported with its byte offset and the rest is read: the records of other chunks do not depend on it.
 */

export const FILE_MAGIC = Buffer.from('ElfFile\0', 'latin1')
const CHUNK_MAGIC = Buffer.from('ElfChnk\0', 'latin1')
const FILE_HEADER_BYTES = 4096
export const CHUNK_BYTES = 65536
/** Records start after the chunk header and its string (64) and template (32) offset tables. */
const FIRST_RECORD = 512
const RECORD_SIGNATURE = 0x00002a2a
const RECORD_SIGNATURE_BYTES = Buffer.from([0x2a, 0x2a, 0x00, 0x00])
/** Signature, size, record id, time; the size again after the BinXML. */
const RECORD_HEADER_BYTES = 24

/** One record of the file, or why a part of it could not be read. */
export type EvtxEntry =
  | { readonly kind: 'record'; readonly ordinal: number; readonly offset: number; readonly size: number; readonly xml: string }
  | { readonly kind: 'error'; readonly ordinal: number; readonly offset: number; readonly message: string }

/** Whether `head` (the first bytes, after gzip) starts an EVTX file. */
export const isEvtxFile = (head: Uint8Array): boolean => head.length >= FILE_MAGIC.length && FILE_MAGIC.equals(head.subarray(0, FILE_MAGIC.length))

/** Where the chunk holding the record at file offset `offset` starts. */
export const chunkStartOf = (offset: number): number => FILE_HEADER_BYTES + Math.floor((offset - FILE_HEADER_BYTES) / CHUNK_BYTES) * CHUNK_BYTES

/** The entries of an EVTX file, chunk by chunk; `ordinal` counts records (1-based) in file order. */
export async function* readEvtxFile(bytes: AsyncIterable<Uint8Array>): AsyncGenerator<EvtxEntry[]> {
  let ordinal = 0
  let offset = 0
  const pending: Buffer[] = []
  let pendingBytes = 0
  let want = FILE_HEADER_BYTES
  let headerRead = false
  /** Chunks the file header counts as in use; space after them is pre-allocated and may hold anything. */
  let chunksInUse = 0
  let chunkNumber = 0
  for await (const piece of bytes) {
    pending.push(Buffer.from(piece.buffer, piece.byteOffset, piece.byteLength))
    pendingBytes += piece.byteLength
    while (pendingBytes >= want) {
      const block = take(pending, want)
      pendingBytes -= want
      if (!headerRead) {
        const problem = fileHeaderProblem(block)
        if (problem !== null) {
          yield [{ kind: 'error', ordinal: 1, offset: 0, message: problem }]
          return
        }
        headerRead = true
        chunksInUse = block.readUInt16LE(42)
        want = CHUNK_BYTES
      } else {
        const entries = chunkEntries(block, offset, ordinal, chunkNumber++ < chunksInUse)
        ordinal += entries.filter((e) => e.kind === 'record').length
        if (entries.length > 0) yield entries
      }
      offset += block.length
    }
  }
  if (!headerRead) yield [{ kind: 'error', ordinal: 1, offset: 0, message: `the EVTX file ends inside its ${FILE_HEADER_BYTES}-byte header (${pendingBytes} bytes)` }]
  else if (pendingBytes > 0) {
    yield [{ kind: 'error', ordinal: ordinal + 1, offset, message: `the EVTX file ends inside a chunk (${pendingBytes} of its ${CHUNK_BYTES} bytes); that part was not read` }]
  }
}

/**
 * The first `size` bytes of `pieces` (which hold at least that many), removed from them: a view
 * when the first piece holds them all, else a copy of just those bytes.
 */
function take(pieces: Buffer[], size: number): Buffer {
  const first = pieces[0]!
  if (first.length >= size) {
    if (first.length === size) pieces.shift()
    else pieces[0] = first.subarray(size)
    return first.subarray(0, size)
  }
  const block = Buffer.allocUnsafe(size)
  let filled = 0
  while (filled < size) {
    const piece = pieces[0]!
    const n = Math.min(piece.length, size - filled)
    piece.copy(block, filled, 0, n)
    filled += n
    if (n === piece.length) pieces.shift()
    else pieces[0] = piece.subarray(n)
  }
  return block
}

function fileHeaderProblem(header: Buffer): string | null {
  if (!header.subarray(0, 8).equals(FILE_MAGIC)) return 'not an EVTX file: it does not start with "ElfFile"'
  const major = header.readUInt16LE(38)
  if (major !== 3) return `EVTX format version ${major}.${header.readUInt16LE(36)} is not supported (3.x is)`
  return null
}

/**
 * The records of one chunk that starts at file offset `offset`. A chunk past those the header
 * counts is read when it is one (the header was not updated after it was written), and is unused
 * space otherwise.
 */
function chunkEntries(chunk: Buffer, offset: number, before: number, inUse: boolean): EvtxEntry[] {
  if (chunk.subarray(0, 8).equals(CHUNK_MAGIC) === false) {
    if (!inUse || chunk.every((b) => b === 0)) return []
    return [{ kind: 'error', ordinal: before + 1, offset, message: `chunk at byte ${offset} does not start with "ElfChnk" (it is damaged); its records were skipped` }]
  }
  const freeSpace = Math.min(chunk.readUInt32LE(48), CHUNK_BYTES)
  const renderer = new ChunkRenderer(chunk)
  const entries: EvtxEntry[] = []
  let ordinal = before
  for (let p = FIRST_RECORD; p + RECORD_HEADER_BYTES + 4 <= freeSpace; ) {
    const at = offset + p
    const size = chunk.readUInt32LE(p + 4)
    const problem = recordHeaderProblem(chunk, p, freeSpace, at)
    if (problem !== null) {
      // Damaged bytes: go on at the next record signature of the chunk, if there is one.
      const next = chunk.indexOf(RECORD_SIGNATURE_BYTES, p + 1)
      const found = next >= 0 && next + RECORD_HEADER_BYTES + 4 <= freeSpace
      entries.push({ kind: 'error', ordinal: ordinal + 1, offset: at, message: found ? `${problem}; ${next - p} bytes skipped up to the next record` : `${problem}; the rest of its chunk was skipped` })
      if (!found) break
      p = next
      continue
    }
    ordinal++
    try {
      entries.push({ kind: 'record', ordinal, offset: at, size, xml: renderer.render(p + RECORD_HEADER_BYTES, p + size - 4) })
    } catch (err) {
      if (!(err instanceof EvtxFormatError)) throw err
      entries.push({ kind: 'error', ordinal, offset: at, message: `event record ${chunk.readBigUInt64LE(p + 8)} at byte ${at} cannot be read: ${err.message}` })
    }
    p += size
  }
  return entries
}

/**
 * What is wrong with the header of the record at `p` (`at` in the file), whose bytes must end by
 * `limit`; null when it is sound. The copy of the size after the record is not checked: records
 * whose copy was lost still render.
 */
function recordHeaderProblem(chunk: Buffer, p: number, limit: number, at: number): string | null {
  if (chunk.readUInt32LE(p) !== RECORD_SIGNATURE) return `no event record at byte ${at}`
  const size = chunk.readUInt32LE(p + 4)
  return size < RECORD_HEADER_BYTES + 4 || p + size > limit ? `event record at byte ${at} has an impossible size (${size})` : null
}

/** Whether an event's raw bytes are an EVTX record (which needs its chunk to be shown as text: evtxChunkRange, renderEvtxRecords). */
export const isEvtxRecord = (bytes: Uint8Array): boolean => bytes.length >= RECORD_HEADER_BYTES && RECORD_SIGNATURE_BYTES.equals(bytes.subarray(0, 4))

/** The byte range of the chunk that holds the record at file offset `offset`. */
export const evtxChunkRange = (offset: number): { offset: number; length: number } => ({ offset: chunkStartOf(offset), length: CHUNK_BYTES })

/**
 * The XML of the records at `offsetsInChunk` of `chunk` (a whole chunk of an EVTX file), for
 * showing events' raw text — null for one that is not a sound record; one renderer for them all,
 * so a template they share is compiled once.
 */
export function renderEvtxRecords(chunk: Buffer, offsetsInChunk: readonly number[]): (string | null)[] {
  if (chunk.length < CHUNK_BYTES || !chunk.subarray(0, 8).equals(CHUNK_MAGIC)) return offsetsInChunk.map(() => null)
  const renderer = new ChunkRenderer(chunk)
  return offsetsInChunk.map((p) => {
    if (p + RECORD_HEADER_BYTES + 4 > CHUNK_BYTES || recordHeaderProblem(chunk, p, CHUNK_BYTES, p) !== null) return null
    try {
      return renderer.render(p + RECORD_HEADER_BYTES, p + chunk.readUInt32LE(p + 4) - 4)
    } catch (err) {
      if (err instanceof EvtxFormatError) return null
      throw err
    }
  })
}
