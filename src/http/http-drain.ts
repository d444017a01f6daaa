import type http from 'node:http'

/**
 * The graceful stop of an HTTP server. Node's `server.close()` stops accepting connections and
 * closes the idle kept-alive ones, but a kept-alive connection that is busy at that moment stays
 * open after its answer, and its client may go on sending requests on it: the server never
 * finishes closing while such a client is busy. So every answer given while draining carries
 * `Connection: close` (Node ends the connection after it), and whatever is still open when the
 * grace period ends is cut.
 */

export interface HttpDrain {
  /** Stops accepting connections and waits for the requests in flight, at most `graceMs`. */
  drain(graceMs: number): Promise<DrainOutcome>
}

export interface DrainOutcome {
  /** Requests still unanswered when the grace period ended; their connections were cut. */
  readonly cut: number
}

export function drainable(server: http.Server): HttpDrain {
  const inFlight = new Set<http.ServerResponse>()
  let draining = false
  server.on('request', (_req: http.IncomingMessage, res: http.ServerResponse) => {
    // A request that arrives on a busy kept-alive connection while draining is still answered.
    if (draining) res.setHeader('connection', 'close')
    inFlight.add(res)
    res.on('close', () => inFlight.delete(res))
  })
  return {
    async drain(graceMs) {
      draining = true
      for (const res of inFlight) if (!res.headersSent) res.setHeader('connection', 'close')
      const closed = new Promise<void>((resolve) => server.close(() => resolve()))
      let timer: NodeJS.Timeout | undefined
      const expired = new Promise<'expired'>((resolve) => (timer = setTimeout(() => resolve('expired'), graceMs)))
      const outcome = await Promise.race([closed.then(() => 'closed' as const), expired])
      clearTimeout(timer)
      if (outcome === 'closed') return { cut: 0 }
      const cut = inFlight.size
      server.closeAllConnections()
      await closed
      return { cut }
    },
  }
}
