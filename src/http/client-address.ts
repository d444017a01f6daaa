import { isIPv6 } from 'node:net'

/**
 * The rate-limit identity of a client address. IPv4 addresses (also IPv4-mapped IPv6) count one
 * by one; IPv6 addresses count per /64, since one host usually owns a whole /64 and could
 * otherwise take a fresh address, and a fresh budget, for every request.
 */
export function clientAddressKey(address: string | undefined): string {
  if (!address) return 'unknown'
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)
  if (mapped) return mapped[1]!
  if (!isIPv6(address)) return address
  return `${expandIPv6(address).slice(0, 4).join(':')}::/64`
}

/** The eight 16-bit groups of an IPv6 address, `::` filled in, zone id dropped. */
function expandIPv6(address: string): string[] {
  const [head = '', tail] = address.split('%')[0]!.split('::')
  const left = head ? head.split(':') : []
  const right = tail ? tail.split(':') : []
  const groups = tail === undefined ? left : [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right]
  return groups.map((g) => (g.includes('.') ? g : Number.parseInt(g, 16).toString(16)))
}
