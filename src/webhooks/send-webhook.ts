import { lookup as dnsLookup, type LookupAddress } from 'node:dns'
import http from 'node:http'
import https from 'node:https'
import type { LookupFunction } from 'node:net'
import { refusedAddressReason } from './address-policy.js'
import { refusedHostReason } from './destination-url.js'

/**
 * One HTTP POST of a webhook body, with the guards a destination chosen by a tenant needs:
 *  - the host name is resolved here and EVERY address it resolves to must be public, and the
 *    connection goes to the address that was checked (the lookup of the request itself is
 *    replaced), so a name that changes its answer between a check and the connection (DNS
 *    rebinding) cannot lead to an internal address;
 *  - redirects are never followed (a 3xx is a failure): following one would reach a URL nobody checked;
 *  - the whole exchange has a deadline, and at most MAX_RESPONSE_BYTES of the answer are read;
 *  - no connection is reused from one attempt to the next.
 */

export interface SendOptions {
  timeoutMs: number
  /** Allow loopback, private and link-local destinations (WEBHOOK_ALLOW_PRIVATE_DESTINATIONS). */
  allowPrivateDestinations: boolean
  /** Aborts the request (the worker is shutting down). */
  signal?: AbortSignal
}

export interface SendResult {
  /** A 2xx answer. */
  ok: boolean
  statusCode: number | null
  /** Why it failed, for the delivery's history; null when ok. */
  error: string | null
  /** The destination is refused by policy: trying again cannot help. */
  refused: boolean
  durationMs: number
}

/** Answer bytes kept for the history (the start of an error page says what went wrong). */
const MAX_RESPONSE_BYTES = 512

/** A destination refused by policy (scheme, credentials, a non-public address). */
class RefusedDestinationError extends Error {}

/** dns.lookup, refusing the whole answer when any address in it is not public (exported for its tests). */
export const publicOnlyLookup: LookupFunction = (hostname, options, callback) => {
  dnsLookup(hostname, { ...options, all: true }, (err, addresses: LookupAddress[]) => {
    if (err) return callback(err, '', 0)
    for (const a of addresses) {
      const reason = refusedAddressReason(a.address)
      if (reason !== null) return callback(new RefusedDestinationError(`${hostname} resolves to ${reason}; webhooks may only reach public addresses`), '', 0)
    }
    if (addresses.length === 0) return callback(Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' }), '', 0)
    // The callback's shape follows the caller's `all` option (net.connect asks for all of them).
    if ((options as { all?: boolean }).all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, addresses)
    callback(null, addresses[0]!.address, addresses[0]!.family)
  })
}

/** Text safe to store (no NUL: Postgres refuses it), cut to `max` characters. Answers are decoded with replacement, so always well-formed. */
export function storableText(text: string, max: number): string {
  const clean = text.replaceAll('\u0000', '')
  return clean.length > max ? `${clean.slice(0, max - 1)}…` : clean
}

export async function sendWebhook(url: string, body: string, headers: Record<string, string>, opts: SendOptions): Promise<SendResult> {
  const started = performance.now()
  const done = (r: Omit<SendResult, 'durationMs'>): SendResult => ({ ...r, durationMs: Math.round(performance.now() - started) })
  const refused = (error: string): SendResult => done({ ok: false, statusCode: null, error, refused: true })
  let target: URL
  try {
    target = new URL(url)
  } catch {
    return refused('the URL is not valid')
  }
  if (target.protocol !== 'https:' && target.protocol !== 'http:') return refused(`the scheme ${target.protocol} is not allowed`)
  if (target.username !== '' || target.password !== '') return refused('the URL contains credentials')
  if (!opts.allowPrivateDestinations) {
    const reason = refusedHostReason(target)
    if (reason !== null) return refused(`${reason}; webhooks may only reach public addresses`)
  }
  return new Promise<SendResult>((resolve) => {
    let settled = false
    const finish = (r: Omit<SendResult, 'durationMs'>): void => {
      if (settled) return
      settled = true
      clearTimeout(deadline)
      opts.signal?.removeEventListener('abort', onAbort)
      resolve(done(r))
    }
    const request = (target.protocol === 'https:' ? https : http).request(target, {
      method: 'POST',
      headers: { ...headers, 'content-length': String(Buffer.byteLength(body, 'utf8')) },
      lookup: opts.allowPrivateDestinations ? undefined : publicOnlyLookup,
      // A connection of its own for each attempt: every attempt resolves and checks the host anew,
      // and no pooled socket outlives the check it was made under.
      agent: false,
    })
    const deadline = setTimeout(() => request.destroy(new Error(`no complete answer within ${opts.timeoutMs} ms`)), opts.timeoutMs)
    const onAbort = (): void => void request.destroy(new Error('the delivery was interrupted: the worker is shutting down'))
    opts.signal?.addEventListener('abort', onAbort, { once: true })
    request.on('error', (err: NodeJS.ErrnoException) => {
      finish({ ok: false, statusCode: null, error: storableText(err.message, 500), refused: err instanceof RefusedDestinationError })
    })
    request.on('response', (response) => {
      const status = response.statusCode ?? 0
      const chunks: Buffer[] = []
      let kept = 0
      const conclude = (): void => {
        const text = storableText(new TextDecoder().decode(Buffer.concat(chunks)).trim(), 300)
        if (status >= 200 && status < 300) return finish({ ok: true, statusCode: status, error: null, refused: false })
        if (status >= 300 && status < 400) {
          const location = response.headers.location ? ` to ${storableText(response.headers.location, 300)}` : ''
          return finish({ ok: false, statusCode: status, error: `HTTP ${status}: redirects are not followed (redirect${location})`, refused: false })
        }
        finish({ ok: false, statusCode: status, error: `HTTP ${status}${text ? `: ${text}` : ''}`, refused: false })
      }
      response.on('data', (chunk: Buffer) => {
        if (kept < MAX_RESPONSE_BYTES) chunks.push(chunk.subarray(0, MAX_RESPONSE_BYTES - kept))
        kept += chunk.length
        // Enough to report: a receiver that streams on must not hold the delivery.
        if (kept >= MAX_RESPONSE_BYTES) {
          conclude()
          response.destroy()
        }
      })
      response.on('end', conclude)
      response.on('error', conclude)
    })
    request.end(body)
  })
}
