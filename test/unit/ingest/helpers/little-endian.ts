/** Little-endian integers as bytes, for the builders of binary test files (EVTX, ZIP). */

export const u16 = (v: number): Buffer => {
  const b = Buffer.alloc(2)
  b.writeUInt16LE(v)
  return b
}

export const u32 = (v: number): Buffer => {
  const b = Buffer.alloc(4)
  b.writeUInt32LE(v >>> 0)
  return b
}

export const u64 = (v: number): Buffer => {
  const b = Buffer.alloc(8)
  b.writeBigUInt64LE(BigInt(v))
  return b
}
