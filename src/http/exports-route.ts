import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { Router, type Request, type Response } from 'express'
import type { Logger } from 'pino'
import { loadNavigatorLayer } from '../attack-coverage/load-coverage.js'
import { parseAttackLayerExport, parseDetectionsExport, parseRiskEventsExport, type ExportRequest, type RawParams } from '../export/export-request.js'
import { openExport } from '../export/open-export.js'
import { requireTenant, type AppDeps } from '../graphql/context.js'
import { principalOfRequest } from './caller.js'
import { sendError } from './error-response.js'
import { requestScope } from './request-scope.js'

/**
 * Downloads for SIEMs, spreadsheets and the ATT&CK Navigator, for any key that may read:
 * `GET /v1/exports/detections` and `/v1/exports/risk-events` (`format=csv|json|ndjson`, the filters
 * of the GraphQL queries; risk events also `layout=splunk-risk`) stream from Postgres batch by
 * batch, with backpressure — a slow client holds back the next query, never a growing buffer.
 * `GET /v1/exports/attack-layer` answers the Navigator layer JSON.
 *
 * A bad parameter or unknown rule is refused before the first byte; a failure mid-stream aborts
 * the response (the chunked body never ends properly), so a client cannot mistake a truncated
 * file for a whole one.
 */
export function exportsRouter(deps: AppDeps, log: Logger): Router {
  const router = Router()
  router.use('/v1/exports', requestScope)
  router.get('/v1/exports/detections', (req, res) => streamExport(deps, log, req, res, parseDetectionsExport))
  router.get('/v1/exports/risk-events', (req, res) => streamExport(deps, log, req, res, parseRiskEventsExport))
  router.get('/v1/exports/attack-layer', async (req, res) => {
    try {
      const { tenantId } = requireTenant({ deps, principal: await principalOfRequest(deps, req) }, 'read')
      parseAttackLayerExport(req.query as RawParams)
      const now = new Date()
      const layer = await loadNavigatorLayer(deps.pool, tenantId, now)
      res
        .set(downloadHeaders(`watchpost-attack-layer-${now.toISOString().slice(0, 10)}.json`))
        .type('application/json')
        .send(JSON.stringify(layer, null, 2) + '\n')
    } catch (err) {
      sendError(res, err, (e) => log.error({ err: e }, 'attack layer export failed'))
    }
  })
  return router
}

async function streamExport(deps: AppDeps, log: Logger, req: Request, res: Response, parse: (raw: RawParams) => ExportRequest): Promise<void> {
  try {
    const { tenantId } = requireTenant({ deps, principal: await principalOfRequest(deps, req) }, 'read')
    const request = parse(req.query as RawParams)
    const opened = await openExport(deps.pool, tenantId, request, { batchSize: deps.config.exportBatchRows, now: new Date() })
    res.status(200).set(downloadHeaders(opened.fileName)).set('Content-Type', opened.contentType)
    await pipeline(Readable.from(opened.chunks), res)
  } catch (err) {
    if (!res.headersSent) return sendError(res, err, (e) => log.error({ err: e }, 'export failed'))
    // The client went away: the pipeline stopped the reader, nothing to report.
    if ((err as { code?: string }).code === 'ERR_STREAM_PREMATURE_CLOSE') return
    log.error({ err }, 'export failed while streaming; the response was aborted')
    res.destroy()
  }
}

/** Saved as a file by browsers and `curl -OJ`; never cached, never sniffed as another type. */
const downloadHeaders = (fileName: string): Record<string, string> => ({
  'Content-Disposition': `attachment; filename="${fileName}"`,
  'Cache-Control': 'no-store',
  'X-Content-Type-Options': 'nosniff',
})
