import { describe, expect, it } from 'vitest'
import { clientAddressKey } from '../../../src/http/client-address.js'

/** Which addresses share a rate-limit budget: one per IPv4 address, one per IPv6 /64. */
describe('clientAddressKey', () => {
  it('keeps IPv4 addresses, also when IPv4-mapped', () => {
    expect(clientAddressKey('203.0.113.7')).toBe('203.0.113.7')
    expect(clientAddressKey('::ffff:203.0.113.7')).toBe('203.0.113.7')
    expect(clientAddressKey('::FFFF:127.0.0.1')).toBe('127.0.0.1')
  })

  it('groups IPv6 addresses by /64 however they are written', () => {
    const key = '2001:db8:0:1::/64'
    expect(clientAddressKey('2001:db8:0:1::1')).toBe(key)
    expect(clientAddressKey('2001:0db8:0000:0001:ffff:ffff:ffff:ffff')).toBe(key)
    expect(clientAddressKey('2001:db8::1:0:0:0:2')).toBe(key)
    expect(clientAddressKey('fe80::1%eth0')).toBe('fe80:0:0:0::/64')
    expect(clientAddressKey('::1')).toBe('0:0:0:0::/64')
    expect(clientAddressKey('2001:db8:0:2::1')).not.toBe(key)
  })

  it('names a missing address rather than failing', () => {
    expect(clientAddressKey(undefined)).toBe('unknown')
  })
})
