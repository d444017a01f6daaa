import { crc32, deflateRawSync } from 'node:zlib'
import { u16, u32, u64 } from './little-endian.js'

/**
 * Builds ZIP archives byte by byte for tests — including what archivers rarely write and damaged
 * archives never should: entries whose sizes follow their data, ZIP64 fields, encrypted flags,
 * other compression methods, a wrong CRC. Local headers, then a central directory and its end
 * record (which the streaming reader stops at, so it only needs to be recognizable).
 */

export interface ZipEntrySpec {
  readonly name: string
  /** Left out for a folder entry. */
  readonly data?: Buffer | string
  /** Default 'deflate'. */
  readonly method?: 'store' | 'deflate'
  /** Sizes and CRC in a data descriptor after the data (flag bit 3) instead of the header. */
  readonly descriptor?: boolean
  /** ZIP64 sizes: 0xFFFFFFFF in the header, the real ones in the ZIP64 extra field (and an 8-byte descriptor). */
  readonly zip64?: boolean
  /** Overrides: the method number written, the flags, a CRC-32 to write instead of the real one. */
  readonly methodNumber?: number
  readonly flags?: number
  readonly crc32?: number
  /** The name's bytes as stored (default its UTF-8), and whether the UTF-8 flag is set (default true). */
  readonly nameBytes?: Buffer
  readonly utf8Flag?: boolean
}

/** One entry: its local header, its data and its descriptor. */
export function zipEntry(spec: ZipEntrySpec): Buffer {
  const raw = Buffer.from(spec.data ?? '')
  const deflate = (spec.method ?? 'deflate') === 'deflate' && spec.data !== undefined
  const body = deflate ? deflateRawSync(raw) : raw
  const crc = spec.crc32 ?? crc32(raw)
  const name = spec.nameBytes ?? Buffer.from(spec.name)
  const flags = spec.flags ?? ((spec.utf8Flag ?? true ? 0x0800 : 0) | (spec.descriptor === true ? 0x0008 : 0))
  const method = spec.methodNumber ?? (deflate ? 8 : 0)
  const inHeader = (n: number): number => (spec.descriptor === true ? 0 : spec.zip64 === true ? 0xffffffff : n)
  const extra = spec.zip64 === true ? Buffer.concat([u16(1), u16(16), u64(spec.descriptor === true ? 0 : raw.length), u64(spec.descriptor === true ? 0 : body.length)]) : Buffer.alloc(0)
  const header = Buffer.concat([
    u32(0x04034b50),
    u16(spec.zip64 === true ? 45 : 20),
    u16(flags),
    u16(method),
    u16(0x6000), // 12:00:00
    u16(0x5d81), // 2026-12-01
    u32(spec.descriptor === true ? 0 : crc),
    u32(spec.zip64 === true && spec.descriptor === true ? 0xffffffff : inHeader(body.length)),
    u32(spec.zip64 === true && spec.descriptor === true ? 0xffffffff : inHeader(raw.length)),
    u16(name.length),
    u16(extra.length),
    name,
    extra,
  ])
  const descriptor =
    spec.descriptor !== true
      ? Buffer.alloc(0)
      : spec.zip64 === true
        ? Buffer.concat([u32(0x08074b50), u32(crc), u64(body.length), u64(raw.length)])
        : Buffer.concat([u32(0x08074b50), u32(crc), u32(body.length), u32(raw.length)])
  return Buffer.concat([header, body, descriptor])
}

/** A central directory's end record (no entries listed: the streaming reader does not read it). */
export const END_OF_CENTRAL_DIRECTORY = Buffer.concat([u32(0x06054b50), Buffer.alloc(18)])

/** A whole archive of `entries`. */
export const zipArchive = (entries: readonly ZipEntrySpec[]): Buffer => Buffer.concat([...entries.map(zipEntry), END_OF_CENTRAL_DIRECTORY])
