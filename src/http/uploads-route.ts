import { Router, type Request } from 'express'
import type { Logger } from 'pino'
import { NotFoundError } from '../errors.js'
import { principalOfRequest } from './caller.js'
import { requestScope } from './request-scope.js'
import { requireTenant, type AppDeps, type RequestContext } from '../graphql/context.js'
import { acceptUpload, parseFormatName } from '../services/receive-upload.js'
import { uploadProgressOf } from '../services/upload-progress.js'
import { findUpload, type UploadRow } from '../store/uploads-query.js'
import { recordHttpUpload } from './audit-upload.js'
import { sendError } from './error-response.js'

/**
 * REST for large files and curl users: `POST /v1/uploads?fileName=x.xml[&format=…]` with the raw
 * body (gzip-compressed bodies are detected from content), and `GET /v1/uploads/:id`.
 */

export function uploadView(u: UploadRow) {
  return {
    id: u.id,
    fileName: u.fileName,
    sizeBytes: Number(u.sizeBytes),
    sha256: u.sha256,
    format: u.detectedFormat,
    status: u.status,
    eventCount: u.eventCount,
    processEvents: u.processEvents,
    skipped: u.skippedCount,
    skippedByKind: u.skippedByKind,
    errorCount: u.errorCount,
    errors: u.errors,
    failureReason: u.failureReason,
    detectionRows: u.detectionRows,
    progress: uploadProgressOf(u, new Date()),
    createdAt: u.createdAt,
    startedAt: u.startedAt,
    finishedAt: u.finishedAt,
  }
}

const param = (req: Request, name: string): string | undefined => {
  const v = req.query[name]
  return typeof v === 'string' ? v : undefined
}

export function uploadsRouter(deps: AppDeps, log: Logger): Router {
  const router = Router()
  router.use('/v1/uploads', requestScope)
  router.post('/v1/uploads', async (req, res) => {
    // Audited like the uploadLogs mutation: the record is written before the answer is sent.
    let caller: RequestContext['principal'] = null
    let row: UploadRow | null
    try {
      caller = await principalOfRequest(deps, req)
      const principal = requireTenant({ deps, principal: caller }, 'upload')
      const fileName = param(req, 'fileName') ?? param(req, 'filename') ?? 'upload'
      const id = await acceptUpload(deps, principal.tenantId, fileName, parseFormatName(param(req, 'format')), req)
      row = await findUpload(deps.prisma, principal.tenantId, id)
    } catch (err) {
      await recordHttpUpload(deps, log, req, { caller, error: err })
      sendError(res, err, (e) => log.error({ err: e }, 'upload failed'))
      return
    }
    await recordHttpUpload(deps, log, req, { caller, row })
    res.status(202).location(`/v1/uploads/${row!.id}`).json({ upload: uploadView(row!) })
  })
  router.get('/v1/uploads/:id', async (req, res) => {
    try {
      const principal = requireTenant({ deps, principal: await principalOfRequest(deps, req) }, ['read', 'upload'])
      const row = await findUpload(deps.prisma, principal.tenantId, req.params.id)
      if (!row) throw new NotFoundError('Upload', req.params.id)
      res.json({ upload: uploadView(row) })
    } catch (err) {
      sendError(res, err, (e) => log.error({ err: e }, 'upload lookup failed'))
    }
  })
  return router
}
