import { crc32 } from 'node:zlib'
import { u16, u32 } from './little-endian.js'

/**
 * Builds small EVTX files byte by byte for tests of what real files never hold (crafted
 * templates). Offsets inside a chunk are chunk-relative, as in the format.
 */

const HEADER = 4096
export const CHUNK = 65536

/** A name structure (next offset, hash, length, UTF-16 text, NUL). */
export const nameStruct = (name: string): Buffer => Buffer.concat([u32(0), u16(0), u16(name.length), Buffer.from(name, 'utf16le'), u16(0)])

/** BinXML tokens. `at` is where the token will sit in its chunk (an inline name follows when it points there). */
export const binxml = {
  fragmentHeader: (): Buffer => Buffer.from([0x0f, 0x01, 0x01, 0x00]),
  /** An element start inside a template definition (with its dependency identifier) whose name is inline. */
  openElement: (at: number, name: string): Buffer => Buffer.concat([Buffer.from([0x01]), u16(0xffff), u32(0), u32(at + 11), nameStruct(name)]),
  closeStart: (): Buffer => Buffer.from([0x02]),
  endElement: (): Buffer => Buffer.from([0x04]),
  text: (value: string): Buffer => Buffer.concat([Buffer.from([0x05, 0x01]), u16(value.length), Buffer.from(value, 'utf16le')]),
  substitution: (index: number, type = 0x01): Buffer => Buffer.concat([Buffer.from([0x0d]), u16(index), Buffer.from([type])]),
  /** An instance of the template defined at `definition`, with string values. */
  templateInstance: (definition: number, values: string[] = []): Buffer => {
    const data = values.map((v) => Buffer.from(v, 'utf16le'))
    return Buffer.concat([Buffer.from([0x0c, 0x01]), u32(0), u32(definition), u32(values.length), ...data.map((d) => Buffer.concat([u16(d.length), Buffer.from([0x01, 0x00])])), ...data])
  },
  end: (): Buffer => Buffer.from([0x00]),
}

/** A template definition (next offset, GUID, size, body) to place at some chunk offset. */
export const templateDefinition = (body: Buffer): Buffer => Buffer.concat([u32(0), Buffer.alloc(16), u32(body.length), body])

/**
 * One chunk: `blocks` placed at their offsets (template definitions, say), then the records — each
 * a BinXML body — from offset 512 on, one after another.
 */
export function chunk(records: Buffer[], blocks: { offset: number; bytes: Buffer }[] = []): Buffer {
  const c = Buffer.alloc(CHUNK)
  c.write('ElfChnk\0', 0, 'latin1')
  for (const b of blocks) b.bytes.copy(c, b.offset)
  let p = 512
  records.forEach((body, i) => {
    const size = 24 + body.length + 4
    c.writeUInt32LE(0x2a2a, p)
    c.writeUInt32LE(size, p + 4)
    c.writeBigUInt64LE(BigInt(i + 1), p + 8)
    body.copy(c, p + 24)
    c.writeUInt32LE(size, p + 24 + body.length)
    p += size
  })
  c.writeUInt32LE(p, 48)
  c.writeUInt32LE(crc32(c.subarray(0, 120)), 124)
  return c
}

/** A file of the given chunks. */
export function evtxFile(chunks: Buffer[]): Buffer {
  const h = Buffer.alloc(HEADER)
  h.write('ElfFile\0', 0, 'latin1')
  h.writeUInt32LE(128, 32)
  h.writeUInt16LE(2, 36)
  h.writeUInt16LE(3, 38)
  h.writeUInt16LE(HEADER, 40)
  h.writeUInt16LE(chunks.length, 42)
  h.writeUInt32LE(crc32(h.subarray(0, 120)), 124)
  return Buffer.concat([h, ...chunks])
}
