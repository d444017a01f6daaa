import { randomUUID } from 'node:crypto'
import type { Request, RequestHandler } from 'express'
import { withLogFields } from '../log-context.js'

/**
 * Every request gets an id, echoed in the `X-Request-Id` response header and carried by every log
 * line written for it (`requestId`). A well-formed id sent by the client or a proxy in front
 * (nginx's $request_id, a load balancer's) is kept, so one id follows the request through every
 * hop; anything else is replaced, because it would end up in logs unescaped by other tools.
 */

export const REQUEST_ID_HEADER = 'X-Request-Id'

/** Ids other hops make (UUIDs, hex, base64, `Root=1-…`), short enough for a log field. */
const ACCEPTED_ID = /^[A-Za-z0-9._:=+/-]{1,128}$/

const ids = new WeakMap<Request, string>()

/** The request's id (assigned by assignRequestId, first in the app). */
export function requestIdOf(req: Request): string {
  return ids.get(req) ?? 'unassigned'
}

export const assignRequestId: RequestHandler = (req, res, next) => {
  const incoming = req.get(REQUEST_ID_HEADER)
  const id = incoming !== undefined && ACCEPTED_ID.test(incoming) ? incoming : randomUUID()
  ids.set(req, id)
  res.setHeader(REQUEST_ID_HEADER, id)
  withLogFields({ requestId: id }, next)
}

/**
 * Enters the request's log fields again: mount it after middleware that reads the body, whose
 * stream callbacks run outside the request's context (as http/request-scope.ts does for the scope).
 */
export const resumeRequestLogFields: RequestHandler = (req, _res, next) => withLogFields({ requestId: requestIdOf(req) }, next)
