import type { Request, RequestHandler } from 'express'
import type { Logger } from 'pino'
import { withLogFields } from '../log-context.js'
import type { Metrics } from '../metrics/metrics.js'
import { requestIdOf } from './request-id.js'

/**
 * What each answered request leaves behind: one access-log line (request id, method, route, path
 * without the query, status, duration) and its HTTP metrics. Probes and scrapes log at debug, or every
 * few seconds of every load balancer and Prometheus would bury the rest. Mount it after
 * assignRequestId.
 */

const QUIET_ROUTES = new Set(['/healthz', '/readyz', '/metrics'])

export function requestTelemetry(log: Logger, metrics: Metrics): RequestHandler {
  return (req, res, next) => {
    const started = performance.now()
    // 'close' also comes when the client leaves before the answer is complete; 'finish' would not.
    res.once('close', () => {
      const seconds = (performance.now() - started) / 1000
      const route = routeOf(req)
      const status = res.writableFinished ? String(res.statusCode) : 'aborted'
      const labels = { method: req.method, route, status }
      metrics.httpRequests.inc(labels)
      metrics.httpDuration.observe(labels, seconds)
      const line = { method: req.method, route, path: req.originalUrl.split('?')[0], status, ms: Math.round(seconds * 1000) }
      withLogFields({ requestId: requestIdOf(req) }, () => {
        if (QUIET_ROUTES.has(route)) log.debug(line, 'request finished')
        else log.info(line, 'request finished')
      })
    })
    next()
  }
}

/**
 * The route as declared (`/v1/uploads/:id`), never the path, so the metric's series stay bounded:
 * the matched route under the router's mount point, the mount point of middleware that answered
 * (/graphql), or "unmatched".
 */
export function routeOf(req: Request): string {
  const declared = req.route?.path as unknown
  const path = Array.isArray(declared) ? declared.join('|') : declared === undefined ? '' : String(declared)
  const route = `${req.baseUrl ?? ''}${path}`
  return route === '' ? 'unmatched' : route
}
