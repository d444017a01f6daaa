import http from 'node:http'
import type { Duplex } from 'node:stream'
import { useServer } from 'graphql-ws/use/ws'
import { WebSocketServer } from 'ws'
import { subscriptionServerOptions, type SubscriptionServerDeps } from '../graphql/subscription-server.js'

/**
 * GraphQL subscriptions on the API's own HTTP server and path: an upgrade request to /graphql
 * becomes a graphql-ws connection (src/graphql/subscription-server.ts says who may connect and
 * what they may do); any other upgrade is refused. On shutdown every connection is closed with
 * 1001 (going away), which graphql-ws clients answer by reconnecting — to another instance.
 */

export interface GraphQLWebSocket {
  /** Connections open now. */
  readonly connections: number
  /** Refuses new connections, closes the open ones, and cuts those that do not close within `waitMs`. */
  close(waitMs: number): Promise<void>
}

/** Largest message a client may send (a subscribe message is a small query). */
const MAX_MESSAGE_BYTES = 64 * 1024

export function serveGraphQLOverWebSocket(server: http.Server, opts: SubscriptionServerDeps): GraphQLWebSocket {
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES })
  useServer({ ...subscriptionServerOptions(opts), isProd: opts.production }, wss)
  let closing = false
  server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname
    if (path !== '/graphql') return refuse(socket, 404, 'NOT_FOUND', `no WebSocket endpoint at ${path}; subscriptions are at /graphql`)
    if (closing) return refuse(socket, 503, 'SERVICE_UNAVAILABLE', 'the server is shutting down; connect again')
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req))
  })
  return {
    get connections() {
      return wss.clients.size
    },
    async close(waitMs) {
      closing = true
      const open = [...wss.clients]
      const closed = Promise.all(open.map((ws) => new Promise<void>((resolve) => (ws.readyState === ws.CLOSED ? resolve() : ws.once('close', () => resolve())))))
      for (const ws of open) ws.close(1001, 'the server is shutting down')
      let timer: NodeJS.Timeout | undefined
      await Promise.race([closed, new Promise<void>((resolve) => (timer = setTimeout(resolve, waitMs)))])
      clearTimeout(timer)
      for (const ws of wss.clients) ws.terminate()
      await new Promise<void>((resolve) => wss.close(() => resolve()))
      if (open.length > 0) opts.log.info({ connections: open.length }, 'GraphQL WebSocket connections closed')
    },
  }
}

/** An HTTP answer on a socket that asked to upgrade, in GraphQL's error shape. */
function refuse(socket: Duplex, status: number, code: string, message: string): void {
  const body = JSON.stringify({ errors: [{ message, extensions: { code } }] })
  socket.end(`HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`)
}
