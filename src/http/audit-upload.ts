import type { Request } from 'express'
import type { Logger } from 'pino'
import { auditEvent, SUCCESS } from '../audit/audit-event.js'
import { recordAuditEvents } from '../audit/record-audit-events.js'
import { DomainError } from '../errors.js'
import { auditActor } from '../graphql/audit-actor.js'
import type { AppDeps, RequestContext } from '../graphql/context.js'
import { RefusedApiKeyError } from '../store/refused-api-key.js'
import type { UploadRow } from '../store/uploads-query.js'

/**
 * Records a POST /v1/uploads call in the audit log as the mutation `uploadLogs` (`via: http`),
 * whatever its outcome, with the file name and size (the stored size, or the declared
 * Content-Length when nothing was stored). Never throws: see record-audit-events.ts.
 */
export async function recordHttpUpload(
  deps: AppDeps,
  log: Logger,
  req: Request,
  call: { caller: RequestContext['principal']; row?: UploadRow | null; error?: unknown },
): Promise<void> {
  const actor = auditActor(call.caller, call.error)
  if (!actor) return
  const query = (name: string): unknown => req.query[name]
  const declared = Number(req.headers['content-length'])
  const args = {
    via: 'http',
    fileName: query('fileName') ?? query('filename'),
    format: query('format'),
    contentLength: Number.isSafeInteger(declared) ? declared : undefined,
  }
  const outcome = call.error === undefined ? SUCCESS : call.error instanceof DomainError ? call.error.code : 'INTERNAL_SERVER_ERROR'
  const event = auditEvent(actor, 'uploadLogs', args, call.row ?? undefined, outcome)
  if (call.error instanceof RefusedApiKeyError) event.summary = { ...event.summary, keyRefused: call.error.reason }
  await recordAuditEvents(deps.prisma, log, [event])
}
