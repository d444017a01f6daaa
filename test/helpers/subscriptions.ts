import { createClient, type Client, type FormattedExecutionResult as ExecutionResult } from 'graphql-ws'
import WebSocket from 'ws'

/**
 * GraphQL subscriptions against the real service, as clients make them: graphql-ws's own client
 * over a real WebSocket (`subscribe`), and a bare socket speaking the protocol by hand
 * (`closeOfConnection`) where a test needs to see exactly how the server ends a connection.
 */

export const websocketUrl = (httpUrl: string): string => `${httpUrl.replace(/^http/, 'ws')}/graphql`

export function subscriptionClient(httpUrl: string, apiKey: string): Client {
  return createClient({ url: websocketUrl(httpUrl), webSocketImpl: WebSocket, connectionParams: { authorization: `Bearer ${apiKey}` }, retryAttempts: 0, lazy: true })
}

export interface Subscription<T> {
  /** Results received so far. */
  readonly results: ExecutionResult<T, unknown>[]
  /** Settles when the server completes the subscription, or fails with its error. */
  readonly done: Promise<ExecutionResult<T, unknown>[]>
  /** Resolves once `count` results have arrived (fails after `timeoutMs`). */
  received(count: number, timeoutMs?: number): Promise<ExecutionResult<T, unknown>[]>
  stop(): void
}

export function subscribe<T = any>(client: Client, query: string, variables?: Record<string, unknown>): Subscription<T> {
  const results: ExecutionResult<T, unknown>[] = []
  const waiters: (() => void)[] = []
  let stop = (): void => {}
  const done = new Promise<ExecutionResult<T, unknown>[]>((resolve, reject) => {
    stop = client.subscribe<T>(
      { query, variables },
      {
        next: (r) => {
          results.push(r)
          for (const w of waiters.splice(0)) w()
        },
        error: (err) => reject(asError(err)),
        complete: () => resolve(results),
      },
    )
  })
  done.catch(() => {})
  return {
    results,
    done,
    stop: () => stop(),
    async received(count, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs
      while (results.length < count) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${count} results (got ${results.length}: ${JSON.stringify(results).slice(0, 500)})`)
        await Promise.race([new Promise<void>((r) => waiters.push(r)), done, new Promise((r) => setTimeout(r, 200))])
      }
      return results
    },
  }
}

/** Opens a bare graphql-transport-ws connection, sends connection_init, and reports how it ends. */
export function closeOfConnection(httpUrl: string, init: { payload?: Record<string, unknown>; headers?: Record<string, string> }): Promise<{ acknowledged: boolean; code: number; reason: string }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(websocketUrl(httpUrl), 'graphql-transport-ws', { headers: init.headers })
    let acknowledged = false
    ws.on('open', () => ws.send(JSON.stringify({ type: 'connection_init', payload: init.payload })))
    ws.on('message', (data) => {
      if (JSON.parse(String(data)).type === 'connection_ack') {
        acknowledged = true
        ws.close(1000)
      }
    })
    ws.on('unexpected-response', (_req, res) => {
      let body = ''
      res.on('data', (d) => (body += d))
      res.on('end', () => resolve({ acknowledged: false, code: res.statusCode ?? 0, reason: body }))
    })
    ws.on('close', (code, reason) => resolve({ acknowledged, code, reason: String(reason) }))
    ws.on('error', (err) => (err.message.startsWith('Unexpected server response') ? undefined : reject(err)))
  })
}

/** graphql-ws reports GraphQL errors as an array, a closed socket as its close event. */
function asError(err: unknown): Error {
  if (err instanceof Error) return err
  if (Array.isArray(err)) return new Error(JSON.stringify(err))
  const close = err as { code?: number; reason?: string }
  if (typeof close?.code === 'number') return new Error(`connection closed: ${close.code} ${close.reason ?? ''}`)
  return new Error(String(err))
}
