/**
 * FNV-1a, 64-bit, over the UTF-8 bytes of a string, as 16 lower-case hex digits. Pure JS (no
 * node:crypto) so the engine stays portable; used for stable row keys, not for security.
 */

const OFFSET_BASIS = 0xcbf29ce484222325n
const PRIME = 0x100000001b3n
const MASK = 0xffffffffffffffffn
const encoder = new TextEncoder()

/** FNV-1a 64-bit hash of `text` as hex. */
export function fnv1a64(text: string): string {
  let hash = OFFSET_BASIS
  for (const byte of encoder.encode(text)) {
    hash ^= BigInt(byte)
    hash = (hash * PRIME) & MASK
  }
  return hash.toString(16).padStart(16, '0')
}

/** The key of a grouped row: the hash of the rule id and the BY tuple, joined with NUL. */
export function groupKey(ruleId: string, byValues: readonly string[]): string {
  return fnv1a64([ruleId, ...byValues].join('\u0000'))
}
