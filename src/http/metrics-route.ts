import { Router } from 'express'
import type { Logger } from 'pino'
import type { AppDeps } from '../graphql/context.js'
import { metricsText, type Metrics } from '../metrics/metrics.js'
import { sendError } from './error-response.js'
import { requireCredential } from './operator-credential.js'

/**
 * GET /metrics on the API's port, in Prometheus text format, for METRICS_TOKEN or the operator
 * credential only: the series name tenants and show their load. (METRICS_PORT opens a listener of
 * its own, metrics/metrics-server.ts, which may go without a credential.)
 */
export function metricsRouter(deps: AppDeps, metrics: Metrics, log: Logger): Router {
  const router = Router()
  router.get('/metrics', async (req, res) => {
    try {
      await requireCredential(deps, req.headers.authorization, [deps.config.metricsToken, deps.config.operatorToken], 'the metrics endpoint')
      const { contentType, text } = await metricsText(metrics)
      res.set('Content-Type', contentType).set('Cache-Control', 'no-store').send(text)
    } catch (err) {
      res.set('WWW-Authenticate', 'Bearer realm="watchpost metrics"')
      sendError(res, err, (e) => log.error({ err: e }, 'metrics scrape failed'))
    }
  })
  return router
}
