import type { ApolloServer } from '@apollo/server'
import { expressMiddleware } from '@as-integrations/express5'
import type { Queue } from 'bullmq'
import express from 'express'
import { GraphQLError } from 'graphql'
import type { Logger } from 'pino'
import { DomainError, PayloadTooLargeError } from '../errors.js'
import { recordRefusedMutation } from '../graphql/audit-refused-key.js'
import type { AppDeps, RequestContext } from '../graphql/context.js'
import { principalOfRequest } from './caller.js'
import type { RateLimiter } from '../rate-limit/redis-rate-limiter.js'
import { httpStatusOf, sendGraphQLError } from './error-response.js'
import { exportsRouter } from './exports-route.js'
import { graphqlConsoleRouter } from './graphql-console/console-route.js'
import { graphqlUploads } from './graphql-uploads.js'
import { healthRouter } from './health-route.js'
import type { Metrics } from '../metrics/metrics.js'
import { metricsRouter } from './metrics-route.js'
import { QUEUE_BOARD_PATH, queueBoard } from './queue-board.js'
import { rateLimit } from './rate-limit.js'
import { refuseNulText } from './refuse-nul-text.js'
import { requestScope } from './request-scope.js'
import { assignRequestId, resumeRequestLogFields } from './request-id.js'
import { requestTelemetry } from './request-telemetry.js'
import { uploadsRouter } from './uploads-route.js'

/** Largest JSON body of a GraphQL request; log files go as uploads (multipart or POST /v1/uploads). */
export const MAX_JSON_BODY_BYTES = 5 * 1024 * 1024

/** What the operator's surfaces show: the service's metrics, and the queues on the board. */
export interface OperationsSurface {
  metrics: Metrics
  queues: readonly Queue[]
}

/**
 * The HTTP surface: /graphql (Apollo, with multipart uploads; GraphiQL for browsers), /v1/uploads,
 * /v1/exports, /healthz, /readyz, and for operators /metrics and the queue board.
 */
export function createApp(deps: AppDeps, apollo: ApolloServer<RequestContext>, log: Logger, limiter: RateLimiter, operations: OperationsSurface): express.Express {
  const app = express()
  app.disable('x-powered-by')
  // No ETags for computed answers: GraphQL answers are `no-store` and mostly POSTed, so nothing
  // revalidates them, and Express would hash every body (~70 KB for a triage-queue page) to make one.
  // The console's files are sent by sendFile, which keeps its own validators.
  app.set('etag', false)
  // Which address is the client's (rate limits per address): the socket's, unless proxies are trusted.
  app.set('trust proxy', deps.config.trustProxy)
  // First: every answer, refusals included, carries the request id and is logged and counted.
  app.use(assignRequestId, requestTelemetry(log, operations.metrics))
  app.use(healthRouter(deps))
  app.use(metricsRouter(deps, operations.metrics, log))
  app.use(QUEUE_BOARD_PATH, ...queueBoard(deps, operations.queues, log))
  app.use('/v1/uploads', rateLimit(deps, limiter, 'rest', log))
  app.use(uploadsRouter(deps, log))
  app.use('/v1/exports', rateLimit(deps, limiter, 'rest', log))
  app.use(exportsRouter(deps, log))
  // Before Apollo: a browser's GET of /graphql gets the console; everything else goes on to Apollo.
  app.use(graphqlConsoleRouter())
  app.use(
    '/graphql',
    // Before the body parsers: a refused request is never read.
    rateLimit(deps, limiter, 'graphql', log),
    graphqlUploads(deps),
    express.json({ limit: MAX_JSON_BODY_BYTES }),
    refuseNulText,
    // After the body parsers: their stream callbacks would not carry the request's scope and log fields.
    requestScope,
    resumeRequestLogFields,
    expressMiddleware(apollo, {
      context: async ({ req }) => {
        try {
          return { deps, principal: await principalOfRequest(deps, req) }
        } catch (err) {
          // No plugin sees a request whose context failed: a refused key's mutation is audited here.
          await recordRefusedMutation(deps, log, err, req.body)
          // Apollo answers a failed context with HTTP 500 unless the error names a status.
          if (err instanceof DomainError) throw new GraphQLError(err.message, { originalError: err, extensions: { http: { status: httpStatusOf(err) } } })
          throw err
        }
      },
    }),
  )
  app.use(bodyErrorHandler(log))
  return app
}

/**
 * Express's own error page is HTML with a stack trace; a client that sends a malformed or
 * oversized body gets a GraphQL-shaped JSON error instead, and nothing internal.
 */
function bodyErrorHandler(log: Logger): express.ErrorRequestHandler {
  return (err, _req, res, next) => {
    if (res.headersSent) return next(err)
    const e = err as { type?: string; status?: number; message?: string; limit?: number }
    const answer = (status: number, code: string, message: string): void => {
      res.status(status).json({ errors: [{ message, extensions: { code } }] })
    }
    if (e.type === 'entity.parse.failed') return answer(400, 'BAD_REQUEST', `the request body is not valid JSON: ${e.message}`)
    if (e.type === 'entity.too.large') {
      const message = `the request body is larger than the limit of ${e.limit} bytes; send log files as uploads (multipart or POST /v1/uploads)`
      return sendGraphQLError(res, new PayloadTooLargeError(message, { limit: e.limit }), () => {})
    }
    if (typeof e.status === 'number' && e.status >= 400 && e.status < 500) return answer(e.status, 'BAD_REQUEST', e.message ?? 'bad request')
    log.error({ err }, 'unexpected error in an HTTP request')
    answer(500, 'INTERNAL_SERVER_ERROR', 'internal server error')
  }
}
