import { once } from 'node:events'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Logger } from 'pino'
import { DomainError } from '../errors.js'
import type { AppDeps } from '../graphql/context.js'
import { requireCredential } from '../http/operator-credential.js'
import { metricsText, type Metrics } from './metrics.js'

/**
 * The METRICS_PORT listener: GET /metrics (and /healthz, the process's liveness) and nothing else, in every process role — a worker
 * process has no other HTTP surface, so this is how Prometheus scrapes it. It asks for METRICS_TOKEN
 * or the operator credential unless METRICS_AUTH=none (for an interface only the scraper reaches).
 */

export interface MetricsServer {
  readonly url: string
  close(): Promise<void>
}

export async function startMetricsServer(deps: AppDeps, metrics: Metrics, log: Logger): Promise<MetricsServer> {
  const { config } = deps
  const server = http.createServer((req, res) => {
    answer(req, res).catch((err: unknown) => {
      log.error({ err }, 'metrics scrape failed')
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' })
      res.end('internal server error\n')
    })
  })
  async function answer(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0]
    // Liveness for orchestrators, also of worker processes, which serve nothing else: no data, no credential.
    if (path === '/healthz') return void res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}')
    if (path !== '/metrics') return void res.writeHead(404, { 'content-type': 'text/plain' }).end('only /metrics and /healthz are served here\n')
    if (req.method !== 'GET' && req.method !== 'HEAD') return void res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end()
    if (config.metricsPortAuth === 'token') {
      try {
        await requireCredential(deps, req.headers.authorization, [config.metricsToken, config.operatorToken], 'the metrics endpoint')
      } catch (err) {
        if (!(err instanceof DomainError)) throw err
        const status = err.code === 'FORBIDDEN' ? 403 : 401
        // The REST routes' error shape (http/error-response.ts).
        const body = JSON.stringify({ error: { code: err.code, message: err.message } })
        return void res.writeHead(status, { 'content-type': 'application/json', 'www-authenticate': 'Bearer realm="watchpost metrics"' }).end(body)
      }
    }
    const { contentType, text } = await metricsText(metrics)
    res.writeHead(200, { 'content-type': contentType, 'cache-control': 'no-store' }).end(req.method === 'HEAD' ? undefined : text)
  }
  server.listen(config.metricsPort ?? 0, config.metricsHost)
  await once(server, 'listening')
  const address = server.address() as AddressInfo
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address
  return {
    url: `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${address.port}/metrics`,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve())
      server.closeAllConnections()
    }),
  }
}
