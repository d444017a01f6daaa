import { isIP } from 'node:net'
import { InvalidInputError } from '../errors.js'
import { refusedAddressReason } from './address-policy.js'

/**
 * Checks a webhook URL when it is set: http or https, no user name or password (a secret in a URL
 * ends up in logs and proxies; receivers authenticate us by the signature), no fragment (never
 * sent), and — unless the deployment allows private destinations — no IP address or `localhost`
 * outside the public internet. Host names are resolved and checked again at every delivery
 * (send-webhook.ts), since what a name points to can change.
 */

export const MAX_URL_LENGTH = 2048

/** The hostname of a URL as an address (IPv6 without its brackets), or null for a name. */
export function literalAddress(url: URL): string | null {
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname
  return isIP(host) === 0 ? null : host
}

/** Why the URL's host, before any lookup, is not an allowed destination; null when it may be. */
export function refusedHostReason(url: URL): string | null {
  const address = literalAddress(url)
  if (address !== null) return refusedAddressReason(address)
  const name = url.hostname.toLowerCase().replace(/\.$/, '')
  if (name === 'localhost' || name.endsWith('.localhost')) return `${url.hostname} is a loopback name`
  return null
}

/** The URL, normalised, or an error naming what is wrong with it (field `url`). */
export function checkWebhookUrl(raw: string, opts: { allowPrivateDestinations: boolean }): string {
  const bad = (message: string): InvalidInputError => new InvalidInputError(`url: ${message}`, { field: 'url' })
  if (raw.length === 0 || raw.length > MAX_URL_LENGTH) throw bad(`must be 1-${MAX_URL_LENGTH} characters`)
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    throw bad(`"${raw.slice(0, 100)}" is not an absolute URL`)
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw bad(`the scheme must be https or http, not ${url.protocol.slice(0, -1)}`)
  if (url.username !== '' || url.password !== '') throw bad('must not contain a user name or password; receivers verify the signature instead')
  if (url.hash !== '') throw bad('must not contain a fragment (#…): it is never sent')
  if (url.hostname === '') throw bad('has no host')
  if (!opts.allowPrivateDestinations) {
    const reason = refusedHostReason(url)
    if (reason !== null) throw bad(`${reason}; webhooks may only reach public addresses`)
  }
  return url.href
}
