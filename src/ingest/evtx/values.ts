import { EvtxFormatError } from './evtx-format-error.js'

/**
 * BinXML value types (MS-EVEN6 §2.2.18, "Windows XML Event Log (EVTX)" by J. Metz) rendered as
 * text the way Windows renders them in an event's XML (wevtutil, the Event Viewer's XML view,
 * Splunk's XmlWinEventLog): GUIDs upper-case in braces, hexadecimal integers as `0x` and lower-case
 * digits without padding (`0xf84`), times in UTC with 7 fractional digits, SIDs as `S-1-…`.
 * An array type (0x80 set) renders its elements separated by commas.
 */

export const VALUE_TYPE = {
  NULL: 0x00,
  STRING: 0x01,
  ANSI_STRING: 0x02,
  BINXML: 0x21,
  ARRAY: 0x80,
} as const

const FILETIME_UNIX_EPOCH = 116444736000000000n

/** The value of type `type` stored in `buf[start, start + size)`, as Windows writes it in XML. */
export function renderValue(buf: Buffer, type: number, start: number, size: number): string {
  if (start + size > buf.length) throw new EvtxFormatError(`a value of type 0x${type.toString(16)} runs past the end of its chunk`)
  if ((type & VALUE_TYPE.ARRAY) !== 0) return renderArray(buf, type & 0x7f, start, size)
  switch (type) {
    case 0x00:
      return ''
    case 0x01:
      return withoutNuls(buf.toString('utf16le', start, start + (size & ~1)))
    case 0x02:
      return withoutNuls(buf.toString('latin1', start, start + size))
    case 0x03:
      return String(fixed(buf, size, 1).readInt8(start))
    case 0x04:
      return String(fixed(buf, size, 1).readUInt8(start))
    case 0x05:
      return String(fixed(buf, size, 2).readInt16LE(start))
    case 0x06:
      return String(fixed(buf, size, 2).readUInt16LE(start))
    case 0x07:
      return String(fixed(buf, size, 4).readInt32LE(start))
    case 0x08:
      return String(fixed(buf, size, 4).readUInt32LE(start))
    case 0x09:
      return String(fixed(buf, size, 8).readBigInt64LE(start))
    case 0x0a:
      return String(fixed(buf, size, 8).readBigUInt64LE(start))
    case 0x0b:
      return String(fixed(buf, size, 4).readFloatLE(start))
    case 0x0c:
      return String(fixed(buf, size, 8).readDoubleLE(start))
    case 0x0d:
      return fixed(buf, size, 4).readUInt32LE(start) !== 0 ? 'true' : 'false'
    case 0x0e:
      return buf.toString('hex', start, start + size).toUpperCase()
    case 0x0f:
      return guid(fixed(buf, size, 16), start)
    case 0x10:
      return size === 8 ? hex(buf.readBigUInt64LE(start)) : hex(BigInt(fixed(buf, size, 4).readUInt32LE(start)))
    case 0x11:
      return fileTime(fixed(buf, size, 8).readBigUInt64LE(start))
    case 0x12:
      return systemTime(fixed(buf, size, 16), start)
    case 0x13:
      return sid(buf, start, size)
    case 0x14:
      return hex(BigInt(fixed(buf, size, 4).readUInt32LE(start)))
    case 0x15:
      return hex(fixed(buf, size, 8).readBigUInt64LE(start))
    default:
      throw new EvtxFormatError(`unknown value type 0x${type.toString(16)}`)
  }
}

const withoutNuls = (s: string): string => {
  const nul = s.indexOf('\u0000')
  return nul < 0 ? s : s.slice(0, nul)
}

function fixed(buf: Buffer, size: number, expected: number): Buffer {
  if (size < expected) throw new EvtxFormatError(`a value of ${size} bytes where ${expected} are needed`)
  return buf
}

const hex = (v: bigint): string => `0x${v.toString(16)}`

/** Two hexadecimal digits of each byte value, upper-case (as Windows writes GUIDs). */
const HEX = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, '0').toUpperCase())

function guid(buf: Buffer, at: number): string {
  const b = (i: number): string => HEX[buf[at + i]!]!
  return `{${b(3)}${b(2)}${b(1)}${b(0)}-${b(5)}${b(4)}-${b(7)}${b(6)}-${b(8)}${b(9)}-${b(10)}${b(11)}${b(12)}${b(13)}${b(14)}${b(15)}}`
}

/** A FILETIME (100 ns ticks since 1601) as ISO 8601 UTC with 7 fractional digits. */
export function fileTime(ticks: bigint): string {
  const sinceUnix = ticks - FILETIME_UNIX_EPOCH
  const ms = sinceUnix / 10_000n
  const date = new Date(Number(ms))
  if (Number.isNaN(date.getTime())) throw new EvtxFormatError(`a FILETIME out of range (${ticks})`)
  const frac = ((sinceUnix % 10_000_000n) + 10_000_000n) % 10_000_000n
  return `${date.toISOString().slice(0, 19)}.${frac.toString().padStart(7, '0')}Z`
}

function systemTime(buf: Buffer, at: number): string {
  const [year, month, , day, hour, minute, second, ms] = Array.from({ length: 8 }, (_, i) => buf.readUInt16LE(at + 2 * i))
  const two = (n: number): string => String(n).padStart(2, '0')
  return `${String(year).padStart(4, '0')}-${two(month!)}-${two(day!)}T${two(hour!)}:${two(minute!)}:${two(second!)}.${String(ms).padStart(3, '0')}Z`
}

/** A binary SID: revision, sub-authority count, 48-bit big-endian authority, 32-bit little-endian sub-authorities. */
function sid(buf: Buffer, at: number, size: number): string {
  if (size < 8) throw new EvtxFormatError(`a SID of ${size} bytes`)
  const count = buf[at + 1]!
  if (size < 8 + 4 * count) throw new EvtxFormatError(`a SID of ${size} bytes with ${count} sub-authorities`)
  const authority = buf.readUIntBE(at + 2, 6)
  let text = `S-${buf[at]}-${authority}`
  for (let i = 0; i < count; i++) text += `-${buf.readUInt32LE(at + 8 + 4 * i)}`
  return text
}

const ELEMENT_SIZE: Record<number, number> = { 0x03: 1, 0x04: 1, 0x05: 2, 0x06: 2, 0x07: 4, 0x08: 4, 0x09: 8, 0x0a: 8, 0x0b: 4, 0x0c: 8, 0x0d: 4, 0x0f: 16, 0x11: 8, 0x12: 16, 0x14: 4, 0x15: 8 }

function renderArray(buf: Buffer, type: number, start: number, size: number): string {
  if (type === VALUE_TYPE.STRING) {
    const parts = buf.toString('utf16le', start, start + (size & ~1)).split('\u0000')
    while (parts.length > 0 && parts.at(-1) === '') parts.pop()
    return parts.join(',')
  }
  const element = ELEMENT_SIZE[type]
  if (element === undefined) throw new EvtxFormatError(`an array of value type 0x${type.toString(16)}, which has no fixed size`)
  const parts: string[] = []
  for (let at = start; at + element <= start + size; at += element) parts.push(renderValue(buf, type, at, element))
  return parts.join(',')
}
