import { describe, expect, it } from 'vitest'
import { AUTHENTICATED_KEY_TTL_MS, forgetAuthenticatedKeys, rememberedKey, rememberKey } from '../../../src/store/api-key-cache.js'

const principal = { tenantId: 't', keyId: 'k', role: 'reader' as const }
const KEY = 'wp_abcdefghij_' + 'x'.repeat(32)

describe('remembered API keys', () => {
  it('remembers an accepted key for the TTL only', () => {
    forgetAuthenticatedKeys()
    rememberKey(KEY, principal, null, 1_000)
    expect(rememberedKey(KEY, 1_000 + AUTHENTICATED_KEY_TTL_MS - 1)).toEqual(principal)
    expect(rememberedKey(KEY, 1_000 + AUTHENTICATED_KEY_TTL_MS)).toBeUndefined()
    expect(rememberedKey('wp_abcdefghij_' + 'y'.repeat(32), 1_000)).toBeUndefined()
  })

  it('never past the key’s expiry, and not at all for a key already expired', () => {
    forgetAuthenticatedKeys()
    rememberKey(KEY, principal, new Date(2_000), 1_000)
    expect(rememberedKey(KEY, 1_999)).toEqual(principal)
    expect(rememberedKey(KEY, 2_000)).toBeUndefined()
    rememberKey(KEY, principal, new Date(500), 1_000)
    expect(rememberedKey(KEY, 1_000)).toBeUndefined()
  })

  it('forgets every key at once when asked (a revocation or suspension in this process)', () => {
    rememberKey(KEY, principal, null, 1_000)
    forgetAuthenticatedKeys()
    expect(rememberedKey(KEY, 1_001)).toBeUndefined()
  })
})
