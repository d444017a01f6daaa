import { Buffer } from 'node:buffer'
import type { ByteCursor } from '../bytes/byte-cursor.js'

/**
 * The data of a ZIP entry whose sizes follow it (general-purpose flag bit 3: writers that stream,
 * such as macOS' Archive Utility, Java and `zip` into a pipe): its end is found by the data
 * descriptor that comes after it — the signature `PK\x07\x08`, the CRC-32, then the compressed
 * and uncompressed sizes (8 bytes each in ZIP64) — whose compressed size is the number of bytes
 * before it. Checking that size is what tells a descriptor from the same four bytes inside the
 * data. A stateful scanner rather than a generator, so that data nobody read can still be skipped.
 */

const SIGNATURE = 0x08074b50

export interface DataDescriptor {
  readonly crc32: number
  readonly compressedSize: number
  readonly uncompressedSize: number
}

export class DescriptorScanner {
  /** Data bytes handed out so far. */
  private emitted = 0
  /** Bytes read that may start the descriptor (fewer than one descriptor). */
  private carry: Buffer | null = null
  private readonly descriptorBytes: number
  /** Set once the descriptor is found. */
  descriptor: DataDescriptor | null = null

  constructor(
    private readonly cursor: ByteCursor,
    private readonly zip64: boolean,
  ) {
    this.descriptorBytes = zip64 ? 24 : 16
  }

  /** The next piece of the entry's data; null after its last (then `descriptor` is set) — or where the archive ends without one. */
  async next(): Promise<Buffer | null> {
    while (this.descriptor === null) {
      const read = await this.cursor.next()
      if (read === null) return null
      const bytes = this.carry === null ? read : Buffer.concat([this.carry, read])
      this.carry = null
      const found = this.find(bytes)
      if (found >= 0) {
        this.cursor.unread(bytes.subarray(found + this.descriptorBytes))
        this.descriptor = this.parse(bytes, found)
        this.emitted += found
        return bytes.subarray(0, found)
      }
      // The last bytes may start a descriptor whose rest has not come yet.
      const keep = Math.min(bytes.length, this.descriptorBytes - 1)
      this.carry = Buffer.from(bytes.subarray(bytes.length - keep))
      const piece = bytes.subarray(0, bytes.length - keep)
      this.emitted += piece.length
      if (piece.length > 0) return piece
    }
    return null
  }

  /** Position in `bytes` of a whole descriptor whose compressed size is the data before it, or -1. */
  private find(bytes: Buffer): number {
    for (let at = bytes.indexOf(0x50); at >= 0 && at + this.descriptorBytes <= bytes.length; at = bytes.indexOf(0x50, at + 1)) {
      if (bytes.readUInt32LE(at) !== SIGNATURE) continue
      const size = this.zip64 ? Number(bytes.readBigUInt64LE(at + 8)) : bytes.readUInt32LE(at + 8)
      // Without ZIP64 the size field holds the low 32 bits of the size.
      const expected = this.zip64 ? this.emitted + at : (this.emitted + at) % 0x1_0000_0000
      if (size === expected) return at
    }
    return -1
  }

  private parse(bytes: Buffer, at: number): DataDescriptor {
    return {
      crc32: bytes.readUInt32LE(at + 4),
      compressedSize: this.emitted + at,
      uncompressedSize: this.zip64 ? Number(bytes.readBigUInt64LE(at + 16)) : bytes.readUInt32LE(at + 12),
    }
  }
}
