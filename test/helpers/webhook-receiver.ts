import { createHmac, timingSafeEqual } from 'node:crypto'
import { once } from 'node:events'
import http from 'node:http'
import type { AddressInfo } from 'node:net'

/**
 * A webhook receiver on 127.0.0.1, as a tenant would run one: it records every request (headers
 * and the raw body) and answers as the test tells it, per path. Nothing in Watchpost is replaced:
 * deliveries really go over HTTP to it. `verifyWatchpostSignature` checks a request the way the
 * README tells receivers to.
 */

export interface ReceivedRequest {
  path: string
  headers: http.IncomingHttpHeaders
  body: string
  receivedAt: number
}

/**
 * How to answer a request: status, body, headers, and how long to wait before answering. `n`
 * counts the requests with the same delivery id (1 for the first).
 */
export type Responder = (req: ReceivedRequest, n: number) => { status: number; body?: string; headers?: Record<string, string>; delayMs?: number }

export interface WebhookReceiver {
  /** http://127.0.0.1:<port> */
  url: string
  requests: ReceivedRequest[]
  /** Requests to one path. */
  at(path: string): ReceivedRequest[]
  /** Sets how a path answers (default 200). */
  respond(path: string, responder: Responder): void
  close(): Promise<void>
}

export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const requests: ReceivedRequest[] = []
  const responders = new Map<string, Responder>()
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const received: ReceivedRequest = { path: req.url ?? '/', headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), receivedAt: Date.now() }
      requests.push(received)
      const deliveryId = received.headers['watchpost-delivery-id']
      const n = requests.filter((r) => r.path === received.path && r.headers['watchpost-delivery-id'] === deliveryId).length
      const responder: Responder = responders.get(received.path) ?? (() => ({ status: 200, body: 'ok' }))
      const answer = responder(received, n)
      setTimeout(() => res.writeHead(answer.status, answer.headers).end(answer.body ?? ''), answer.delayMs ?? 0)
    })
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    at: (path) => requests.filter((r) => r.path === path),
    respond: (path, responder) => void responders.set(path, responder),
    close: () => {
      server.closeAllConnections()
      return new Promise((resolve) => server.close(() => resolve()))
    },
  }
}

/**
 * What a receiver does with a request: the timestamp must be recent (5 minutes), and one of the
 * `v1=` signatures must be the HMAC-SHA256 of `<timestamp>.<raw body>` with its secret.
 */
export function verifyWatchpostSignature(req: ReceivedRequest, secret: string, now = Date.now()): boolean {
  const timestamp = String(req.headers['watchpost-timestamp'] ?? '')
  const header = String(req.headers['watchpost-signature'] ?? '')
  if (!/^\d+$/.test(timestamp) || Math.abs(now / 1000 - Number(timestamp)) > 300) return false
  const expected = createHmac('sha256', secret).update(`${timestamp}.${req.body}`).digest()
  return header
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part.startsWith('v1='))
    .some((part) => {
      const given = Buffer.from(part.slice(3), 'hex')
      return given.length === expected.length && timingSafeEqual(given, expected)
    })
}
