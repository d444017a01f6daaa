import { BlockList, isIP } from 'node:net'

/**
 * Which addresses a webhook may reach. Tenants choose the URL, and the worker that posts to it sits
 * inside the deployment's network: without this, a webhook could reach the cloud metadata service
 * (169.254.169.254), Postgres, Redis or any internal admin page (server-side request forgery). Every
 * range that is not the public internet is refused, each with a name for the error message; the
 * deployment may allow them all (WEBHOOK_ALLOW_PRIVATE_DESTINATIONS) for receivers on its own network.
 */

const RANGES: [label: string, family: 'ipv4' | 'ipv6', network: string, prefix: number][] = [
  ['a "this network" address', 'ipv4', '0.0.0.0', 8],
  ['a private address', 'ipv4', '10.0.0.0', 8],
  ['a shared (carrier-grade NAT) address', 'ipv4', '100.64.0.0', 10],
  ['a loopback address', 'ipv4', '127.0.0.0', 8],
  ['a link-local address', 'ipv4', '169.254.0.0', 16],
  ['a private address', 'ipv4', '172.16.0.0', 12],
  ['a reserved address', 'ipv4', '192.0.0.0', 24],
  ['a documentation address', 'ipv4', '192.0.2.0', 24],
  ['a private address', 'ipv4', '192.168.0.0', 16],
  ['a benchmarking address', 'ipv4', '198.18.0.0', 15],
  ['a documentation address', 'ipv4', '198.51.100.0', 24],
  ['a documentation address', 'ipv4', '203.0.113.0', 24],
  ['a multicast address', 'ipv4', '224.0.0.0', 4],
  ['a reserved address', 'ipv4', '240.0.0.0', 4],
  ['the unspecified address', 'ipv6', '::', 128],
  ['a loopback address', 'ipv6', '::1', 128],
  ['a discard-only address', 'ipv6', '100::', 64],
  ['a documentation address', 'ipv6', '2001:db8::', 32],
  ['a unique local (private) address', 'ipv6', 'fc00::', 7],
  ['a link-local address', 'ipv6', 'fe80::', 10],
  ['a site-local address', 'ipv6', 'fec0::', 10],
  ['a multicast address', 'ipv6', 'ff00::', 8],
]

/** One BlockList per label, so a refusal can say what kind of address it met. */
const LISTS: [string, BlockList][] = [...new Set(RANGES.map((r) => r[0]))].map((label) => {
  const list = new BlockList()
  for (const [l, family, network, prefix] of RANGES) if (l === label) list.addSubnet(network, prefix, family)
  return [label, list]
})

/**
 * IPv6 forms that carry an IPv4 address a router would reach: IPv4-mapped (::ffff:a.b.c.d, which
 * BlockList already matches against the IPv4 ranges), NAT64 (64:ff9b::/96) and 6to4 (2002::/16).
 */
function embeddedIpv4(address: string): string | null {
  const groups = expandIpv6(address)
  if (groups === null) return null
  const v4 = (hi: number, lo: number): string => [hi >> 8, hi & 0xff, lo >> 8, lo & 0xff].join('.')
  if (groups[0] === 0x64 && groups[1] === 0xff9b && groups.slice(2, 6).every((g) => g === 0)) return v4(groups[6]!, groups[7]!)
  if (groups[0] === 0x2002) return v4(groups[1]!, groups[2]!)
  return null
}

/** The eight 16-bit groups of an IPv6 address (dotted IPv4 tails included), or null. */
function expandIpv6(address: string): number[] | null {
  let text = address.toLowerCase()
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text)
  if (dotted) {
    const [a, b, c, d] = dotted.slice(1).map(Number) as [number, number, number, number]
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`
  }
  const [head, tail] = text.split('::') as [string, string | undefined]
  const parse = (s: string): number[] => (s === '' ? [] : s.split(':').map((g) => parseInt(g, 16)))
  const left = parse(head)
  const right = tail === undefined ? [] : parse(tail)
  const groups = tail === undefined ? left : [...left, ...Array<number>(8 - left.length - right.length).fill(0), ...right]
  return groups.length === 8 && groups.every((g) => Number.isInteger(g) && g >= 0 && g <= 0xffff) ? groups : null
}

/**
 * Why `address` (an IP address, as resolved) may not be a webhook destination, or null when it is
 * a public address. Anything that is not an IP address at all is refused too.
 */
export function refusedAddressReason(address: string): string | null {
  const family = isIP(address)
  if (family === 0) return `${address} is not an IP address`
  const type = family === 4 ? 'ipv4' : 'ipv6'
  for (const [label, list] of LISTS) if (list.check(address, type)) return `${address} is ${label}`
  const inner = type === 'ipv6' ? embeddedIpv4(address) : null
  if (inner !== null) {
    const reason = refusedAddressReason(inner)
    if (reason !== null) return `${address} embeds ${reason}`
  }
  return null
}
