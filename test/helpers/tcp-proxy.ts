import { once } from 'node:events'
import net from 'node:net'

/**
 * A loopback TCP proxy that a test puts between a service and the shared Postgres, then cuts and
 * restores: what the service sees of a Postgres restart (every session dropped mid-query, new
 * connections refused, then accepted again) without restarting the Postgres that other test files
 * use. Postgres itself sees each session's client go away, so it rolls back the open transaction
 * and releases its locks, as a restart would.
 */
export interface TcpProxy {
  readonly port: number
  /** `url` with its host and port replaced by the proxy's. */
  via(url: string): string
  /** Connections passed through so far. */
  readonly accepted: number
  /** Drops every open connection and stops listening: new connections are refused. */
  cut(): Promise<void>
  /** Listens again on the same port. */
  restore(): Promise<void>
  close(): Promise<void>
}

export interface TcpProxyOptions {
  /**
   * Looks at each piece the client sends; true drops that connection at once, before the piece
   * reaches the server (a connection lost in the middle of a given statement).
   */
  dropWhen?: (clientBytes: Buffer) => boolean
}

export async function startTcpProxy(target: { host: string; port: number }, options: TcpProxyOptions = {}): Promise<TcpProxy> {
  const open = new Set<net.Socket>()
  let accepted = 0
  const server = net.createServer((client) => {
    accepted++
    const upstream = net.connect(target.port, target.host)
    for (const [a, b] of [
      [client, upstream],
      [upstream, client],
    ] as const) {
      open.add(a)
      a.on('error', () => b.destroy())
      a.on('close', () => {
        open.delete(a)
        b.destroy()
      })
    }
    upstream.pipe(client)
    const { dropWhen } = options
    if (!dropWhen) client.pipe(upstream)
    else
      client.on('data', (piece: Buffer) => {
        if (!dropWhen(piece)) return void upstream.write(piece)
        client.destroy()
        upstream.destroy()
      })
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as net.AddressInfo
  const stopListening = (): Promise<void> => (server.listening ? new Promise<void>((resolve) => server.close(() => resolve())) : Promise.resolve())
  const dropAll = (): void => {
    for (const socket of open) socket.destroy()
  }
  return {
    port,
    via(url) {
      const u = new URL(url)
      u.hostname = '127.0.0.1'
      u.port = String(port)
      return u.toString()
    },
    get accepted() {
      return accepted
    },
    async cut() {
      const closed = stopListening()
      dropAll()
      await closed
    },
    async restore() {
      server.listen(port, '127.0.0.1')
      await once(server, 'listening')
    },
    async close() {
      const closed = stopListening()
      dropAll()
      await closed
    },
  }
}
