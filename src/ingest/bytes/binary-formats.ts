import { Buffer } from 'node:buffer'

/**
 * Binary files people upload in place of a log export: recognized by their first bytes (after
 * gzip was inflated), each answered with one error that says what the file is and what to upload
 * instead — not an "invalid UTF-8" error for every "line" of the binary. (EVTX, Windows' binary
 * event log, and ZIP and tar archives are not among them: they are read, ../evtx/ and ../archive/.)
 */

interface BinaryFormat {
  /** The first bytes; `?` in a latin1 magic matches any byte. */
  readonly magic: Buffer
  readonly message: string
}

const ANY = 0x3f

const compressed = (name: string): string => `the file is compressed with ${name}, which is not read: send the log uncompressed or gzip-compressed`

const FORMATS: readonly BinaryFormat[] = [
  { magic: Buffer.from('PK\x05\x06', 'latin1'), message: 'the file is an empty ZIP archive: send the log itself' },
  // "BZh", the block size digit, then the first block's magic (pi): text rarely starts so.
  { magic: Buffer.from('BZh?1AY&SY', 'latin1'), message: compressed('bzip2') },
  { magic: Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]), message: compressed('xz') },
  { magic: Buffer.from([0x28, 0xb5, 0x2f, 0xfd]), message: compressed('zstd') },
  { magic: Buffer.from([0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c]), message: 'the file is a 7-Zip archive, which is not read: send the log inside it (gzip-compressed if you like)' },
]

/** Bytes of the head that binaryFormatError needs to look at. */
export const BINARY_MAGIC_BYTES = Math.max(...FORMATS.map((f) => f.magic.length))

/** The error for an upload that starts like one of the binary formats above, or null. */
export function binaryFormatError(head: Uint8Array): string | null {
  for (const f of FORMATS) if (head.length >= f.magic.length && f.magic.every((b, i) => b === ANY || b === head[i])) return f.message
  return null
}
