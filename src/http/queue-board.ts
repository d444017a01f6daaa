import { createBullBoard } from '@bull-board/api'
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter'
import { ExpressAdapter } from '@bull-board/express'
import type { Queue } from 'bullmq'
import type express from 'express'
import type { RequestHandler } from 'express'
import type { Logger } from 'pino'
import { ForbiddenError } from '../errors.js'
import type { AppDeps } from '../graphql/context.js'
import { sendError } from './error-response.js'
import { requireCredential } from './operator-credential.js'

/**
 * The BullMQ board (bull-board) at /admin/queues, for the operator credential only: every queue's
 * jobs by state, their data (ids only: upload, scan, tenant), failures and timings, and —
 * unless QUEUE_BOARD_READ_ONLY — retrying, promoting, removing and cleaning jobs and pausing
 * queues. A browser logs in with HTTP Basic (any user name, the operator token as password);
 * scripts may send the Bearer header. Postgres stays the source of truth: an upload job removed
 * here is enqueued again by the reconciler while its upload is unfinished.
 */

export const QUEUE_BOARD_PATH = '/admin/queues'

/** The handlers to mount at QUEUE_BOARD_PATH, in order. */
export function queueBoard(deps: AppDeps, queues: readonly Queue[], log: Logger): RequestHandler[] {
  const adapter = new ExpressAdapter().setBasePath(QUEUE_BOARD_PATH)
  createBullBoard({
    queues: queues.map((q) => new BullMQAdapter(q, { readOnlyMode: deps.config.queueBoardReadOnly })),
    serverAdapter: adapter,
    options: { uiConfig: { boardTitle: 'Watchpost queues' } },
  })
  const board = adapter.getRouter() as express.Express
  board.disable('x-powered-by')
  return [operatorOnly(deps, log), changesFromTheBoardOnly(log), boardHeaders, board]
}

function operatorOnly(deps: AppDeps, log: Logger): RequestHandler {
  return async (req, res, next) => {
    try {
      await requireCredential(deps, req.headers.authorization, [deps.config.operatorToken], 'the queue board')
    } catch (err) {
      // Makes a browser ask for the credential.
      res.set('WWW-Authenticate', 'Basic realm="watchpost operator", charset="UTF-8"')
      sendError(res, err, (e) => log.error({ err: e }, 'queue board authentication failed'))
      return
    }
    next()
  }
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS'])

/**
 * A browser sends Basic credentials with any request to the board's origin, including one a
 * hostile page makes it send (cross-site request forgery). Changes (PUT, POST, PATCH, DELETE) must
 * therefore come from the board's own pages: the browser's Sec-Fetch-Site, or else its Origin,
 * says where a request comes from. Clients that are not browsers send neither and hold no
 * credential they did not mean to send.
 */
function changesFromTheBoardOnly(log: Logger): RequestHandler {
  return (req, res, next) => {
    if (SAFE_METHODS.has(req.method)) return next()
    const site = req.get('sec-fetch-site')
    const origin = req.get('origin')
    const crossSite = site !== undefined ? site !== 'same-origin' && site !== 'none' : origin !== undefined && hostOf(origin) !== req.host
    if (!crossSite) return next()
    sendError(res, new ForbiddenError('changes on the queue board must come from the board’s own pages'), (e) => log.error({ err: e }, 'queue board refusal failed'))
  }
}

function hostOf(origin: string): string | null {
  try {
    return new URL(origin).host
  } catch {
    return null
  }
}

/**
 * The board's page would load a web font from Google: the policy keeps every request on this
 * origin (the page falls back to local fonts), and the board out of frames of other sites.
 */
const boardHeaders: RequestHandler = (_req, res, next) => {
  res.set({
    'Content-Security-Policy': "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; frame-ancestors 'none'; base-uri 'self'; form-action 'self'",
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
  })
  next()
}
