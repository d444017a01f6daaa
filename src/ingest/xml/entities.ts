/**
 * XML entity decoding for the fast path. It accepts only what it can prove well-formed (the five
 * predefined entities and character references to legal XML 1.0 characters) and answers `null`
 * for anything else, so the caller falls back to the strict parser, which then reports the error.
 */

const NAMED: Readonly<Record<string, string>> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" }

/** XML 1.0 `Char` production. */
export const isXmlChar = (cp: number): boolean =>
  cp === 0x9 || cp === 0xa || cp === 0xd || (cp >= 0x20 && cp <= 0xd7ff) || (cp >= 0xe000 && cp <= 0xfffd) || (cp >= 0x10000 && cp <= 0x10ffff)

const DECIMAL = /^#[0-9]{1,7}$/
// saxes only treats a lower-case `x` as hexadecimal; `&#X41;` is an error there, so not ours.
const HEX = /^#x[0-9a-fA-F]{1,6}$/

function decodeReference(name: string): string | null {
  const named = NAMED[name]
  if (named !== undefined) return named
  let cp: number
  if (HEX.test(name)) cp = parseInt(name.slice(2), 16)
  else if (DECIMAL.test(name)) cp = parseInt(name.slice(1), 10)
  else return null
  return isXmlChar(cp) ? String.fromCodePoint(cp) : null
}

/** Decodes `s[from, to)`, or `null` when a reference is not provably well-formed. */
export function decodeXmlText(s: string, from: number, to: number): string | null {
  let amp = s.indexOf('&', from)
  if (amp < 0 || amp >= to) return s.slice(from, to)
  let out = ''
  let last = from
  while (amp >= 0 && amp < to) {
    const semi = s.indexOf(';', amp + 1)
    if (semi < 0 || semi >= to || semi - amp > 9) return null
    const decoded = decodeReference(s.slice(amp + 1, semi))
    if (decoded === null) return null
    out += s.slice(last, amp) + decoded
    last = semi + 1
    amp = s.indexOf('&', last)
  }
  return out + s.slice(last, to)
}
