import { describe, expect, it } from 'vitest'
import { EvtxFormatError } from '../../../src/ingest/evtx/evtx-format-error.js'
import { fileTime, renderValue } from '../../../src/ingest/evtx/values.js'

/** BinXML values rendered as Windows renders them in an event's XML. */

const render = (type: number, bytes: Buffer | number[]): string => {
  const buf = Buffer.concat([Buffer.from([0xaa, 0xbb]), Buffer.from(bytes)])
  return renderValue(buf, type, 2, buf.length - 2)
}
const le = (bits: 16 | 32 | 64, v: number | bigint): Buffer => {
  const b = Buffer.alloc(bits / 8)
  if (bits === 16) b.writeUInt16LE(Number(v))
  else if (bits === 32) b.writeUInt32LE(Number(v))
  else b.writeBigUInt64LE(BigInt(v))
  return b
}

describe('EVTX values', () => {
  it('strings: UTF-16 up to the first NUL; ANSI as Latin-1', () => {
    expect(render(0x01, Buffer.from('C:\\Windows\\é😀\u0000junk', 'utf16le'))).toBe('C:\\Windows\\é😀')
    expect(render(0x02, Buffer.from('abc\u0000', 'latin1'))).toBe('abc')
  })

  it('integers in decimal, signed where the type is; hexadecimal types as 0x without padding', () => {
    expect(render(0x03, [0xff])).toBe('-1')
    expect(render(0x04, [0xff])).toBe('255')
    expect(render(0x05, le(16, 0xfffe))).toBe('-2')
    expect(render(0x06, le(16, 0xfffe))).toBe('65534')
    expect(render(0x07, le(32, 0xffffffff))).toBe('-1')
    expect(render(0x08, le(32, 0xffffffff))).toBe('4294967295')
    expect(render(0x09, le(64, 0xffffffffffffffffn))).toBe('-1')
    expect(render(0x0a, le(64, 0xffffffffffffffffn))).toBe('18446744073709551615')
    expect(render(0x14, le(32, 0xf84))).toBe('0xf84')
    expect(render(0x15, le(64, 0x8020000000000000n))).toBe('0x8020000000000000')
    expect(render(0x15, le(64, 0x3e7))).toBe('0x3e7')
    expect(render(0x10, le(64, 0x10))).toBe('0x10')
    expect(render(0x10, le(32, 0x10))).toBe('0x10')
  })

  it('GUIDs upper-case in braces (the first three groups little-endian), SIDs as S-1-…, booleans, binary as hex', () => {
    const guid = Buffer.from('d548f794454a425a00000010d265f20f', 'hex')
    expect(render(0x0f, guid)).toBe('{94F748D5-4A45-5A42-0000-0010D265F20F}')
    // S-1-5-21-1004336348-1177238915-682003330-512
    const sid = Buffer.concat([Buffer.from([1, 5, 0, 0, 0, 0, 0, 5]), le(32, 21), le(32, 1004336348), le(32, 1177238915), le(32, 682003330), le(32, 512)])
    expect(render(0x13, sid)).toBe('S-1-5-21-1004336348-1177238915-682003330-512')
    expect(render(0x13, [1, 1, 0, 0, 0, 0, 0, 5, 18, 0, 0, 0])).toBe('S-1-5-18')
    expect(render(0x0d, le(32, 1))).toBe('true')
    expect(render(0x0d, le(32, 0))).toBe('false')
    expect(render(0x0e, [0x0a, 0xff])).toBe('0AFF')
  })

  it('FILETIME and SYSTEMTIME in UTC, FILETIME to 100 ns', () => {
    // 2017-12-26T13:10:29.1368792Z
    const ticks = BigInt(Date.UTC(2017, 11, 26, 13, 10, 29, 136)) * 10_000n + 116444736000000000n + 8792n
    expect(fileTime(ticks)).toBe('2017-12-26T13:10:29.1368792Z')
    expect(render(0x11, le(64, ticks))).toBe('2017-12-26T13:10:29.1368792Z')
    const st = Buffer.alloc(16)
    ;[2021, 4, 3, 21, 15, 19, 3, 19].forEach((v, i) => st.writeUInt16LE(v, 2 * i))
    expect(render(0x12, st)).toBe('2021-04-21T15:19:03.019Z')
  })

  it('arrays: each element, comma-separated', () => {
    expect(render(0x81, Buffer.from('a\u0000bc\u0000', 'utf16le'))).toBe('a,bc')
    expect(render(0x88, Buffer.concat([le(32, 1), le(32, 2)]))).toBe('1,2')
    expect(render(0x94, Buffer.concat([le(32, 255), le(32, 16)]))).toBe('0xff,0x10')
  })

  it('a value too short for its type, past its chunk, or of an unknown type is a format error', () => {
    expect(() => render(0x08, [1, 2])).toThrow(EvtxFormatError)
    expect(() => render(0x0f, [1, 2, 3])).toThrow(/a value of 3 bytes where 16 are needed/)
    expect(() => render(0x13, [1, 4, 0, 0, 0, 0, 0, 5, 1, 0, 0, 0])).toThrow(/a SID of 12 bytes with 4 sub-authorities/)
    expect(() => render(0x77, [1])).toThrow(/unknown value type 0x77/)
    expect(() => renderValue(Buffer.alloc(4), 0x08, 2, 4)).toThrow(/runs past the end of its chunk/)
  })
})
