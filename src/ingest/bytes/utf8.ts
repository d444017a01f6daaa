/**
 * Locates the first byte that breaks UTF-8 well-formedness (RFC 3629: no overlongs, no
 * surrogates, nothing above U+10FFFF), so an error can say where a line went bad. Only called on
 * lines `isUtf8` already rejected, so it favours clarity over speed.
 */
export function firstInvalidUtf8(bytes: Uint8Array): number {
  let i = 0
  while (i < bytes.length) {
    const lead = bytes[i]!
    if (lead < 0x80) {
      i++
      continue
    }
    const need = lead >= 0xc2 && lead <= 0xdf ? 1 : lead >= 0xe0 && lead <= 0xef ? 2 : lead >= 0xf0 && lead <= 0xf4 ? 3 : 0
    if (need === 0 || i + need >= bytes.length) return i
    let cp = lead & (need === 1 ? 0x1f : need === 2 ? 0x0f : 0x07)
    for (let k = 1; k <= need; k++) {
      const b = bytes[i + k]!
      if ((b & 0xc0) !== 0x80) return i
      cp = (cp << 6) | (b & 0x3f)
    }
    if (need === 2 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) return i
    if (need === 3 && (cp < 0x10000 || cp > 0x10ffff)) return i
    i += need + 1
  }
  return -1
}
