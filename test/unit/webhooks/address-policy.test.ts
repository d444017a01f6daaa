import { describe, expect, it } from 'vitest'
import { refusedAddressReason } from '../../../src/webhooks/address-policy.js'
import { checkWebhookUrl, refusedHostReason } from '../../../src/webhooks/destination-url.js'
import { publicOnlyLookup } from '../../../src/webhooks/send-webhook.js'

// Which destinations a webhook may reach (server-side request forgery): every address that is not
// the public internet is refused with what it is, in every spelling an attacker might try.

describe('refusedAddressReason', () => {
  it.each([
    ['127.0.0.1', 'a loopback address'],
    ['127.255.255.254', 'a loopback address'],
    ['10.0.0.1', 'a private address'],
    ['172.16.0.1', 'a private address'],
    ['172.31.255.255', 'a private address'],
    ['192.168.0.1', 'a private address'],
    ['169.254.169.254', 'a link-local address'],
    ['100.64.0.1', 'a shared (carrier-grade NAT) address'],
    ['0.0.0.0', 'a "this network" address'],
    ['224.0.0.1', 'a multicast address'],
    ['255.255.255.255', 'a reserved address'],
    ['198.18.0.1', 'a benchmarking address'],
    ['192.0.2.1', 'a documentation address'],
    ['::', 'the unspecified address'],
    ['::1', 'a loopback address'],
    ['fe80::1', 'a link-local address'],
    ['fd12:3456::1', 'a unique local (private) address'],
    ['ff02::1', 'a multicast address'],
    ['2001:db8::1', 'a documentation address'],
    ['::ffff:127.0.0.1', 'a loopback address'],
    ['::ffff:a9fe:a9fe', 'a link-local address'],
  ])('%s is %s', (address, label) => {
    expect(refusedAddressReason(address)).toBe(`${address} is ${label}`)
  })

  it.each([
    ['64:ff9b::a00:1', '10.0.0.1 is a private address'],
    ['64:ff9b::127.0.0.1', '127.0.0.1 is a loopback address'],
    ['2002:a9fe:a9fe::1', '169.254.169.254 is a link-local address'],
  ])('%s (NAT64, 6to4) embeds %s', (address, inner) => {
    expect(refusedAddressReason(address)).toBe(`${address} embeds ${inner}`)
  })

  it.each(['8.8.8.8', '1.1.1.1', '93.184.216.34', '172.32.0.1', '100.128.0.1', '2606:4700:4700::1111', '2a00:1450:4001:82b::200e', '64:ff9b::808:808'])('%s is public', (address) => {
    expect(refusedAddressReason(address)).toBeNull()
  })

  it('refuses what is no address at all', () => {
    expect(refusedAddressReason('example.com')).toBe('example.com is not an IP address')
  })
})

describe('checkWebhookUrl', () => {
  const strict = { allowPrivateDestinations: false }
  it('normalises what it accepts', () => {
    expect(checkWebhookUrl('HTTPS://Hooks.Example.com/in?x=1', strict)).toBe('https://hooks.example.com/in?x=1')
    expect(checkWebhookUrl('http://hooks.example.com', strict)).toBe('http://hooks.example.com/')
  })

  it.each([
    ['gopher://hooks.example.com/', /scheme must be https or http, not gopher/],
    ['file:///etc/passwd', /scheme must be https or http, not file/],
    ['https://a:b@hooks.example.com/', /user name or password/],
    ['https://hooks.example.com/#x', /fragment/],
    ['/relative/path', /not an absolute URL/],
    ['http://2130706433/', /127\.0\.0\.1 is a loopback address/],
    ['http://0177.0.0.1/', /127\.0\.0\.1 is a loopback address/],
    ['http://[0:0:0:0:0:0:0:1]/', /::1 is a loopback address/],
    ['http://app.localhost/', /app\.localhost is a loopback name/],
    ['http://LOCALHOST./', /loopback name/],
  ])('refuses %s', (url, message) => {
    expect(() => checkWebhookUrl(url, strict)).toThrow(message)
  })

  it('lets a deployment that allows private destinations reach them, never other schemes or credentials', () => {
    const open = { allowPrivateDestinations: true }
    expect(checkWebhookUrl('http://127.0.0.1:8080/hook', open)).toBe('http://127.0.0.1:8080/hook')
    expect(checkWebhookUrl('http://localhost/hook', open)).toBe('http://localhost/hook')
    expect(() => checkWebhookUrl('ftp://127.0.0.1/', open)).toThrow(/scheme/)
    expect(() => checkWebhookUrl('http://u:p@127.0.0.1/', open)).toThrow(/password/)
  })

  it('leaves host names to be checked when they are resolved', () => {
    expect(refusedHostReason(new URL('https://hooks.example.com/'))).toBeNull()
  })
})

describe('publicOnlyLookup', () => {
  const lookup = (host: string, all: boolean) =>
    new Promise<{ err: Error | null; address: unknown }>((resolve) => publicOnlyLookup(host, { all }, (err, address) => resolve({ err, address })))

  it('refuses a name that resolves to a loopback address, whichever form the caller asks for', async () => {
    for (const all of [false, true]) {
      const { err } = await lookup('localhost', all)
      expect(err?.message).toMatch(/^localhost resolves to (127\.0\.0\.1|::1) is a loopback address; webhooks may only reach public addresses$/)
    }
  })
})
