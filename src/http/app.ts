import type { ApolloServer } from '@apollo/server'
import { expressMiddleware } from '@as-integrations/express5'
import express from 'express'
import graphqlUploadExpress from 'graphql-upload/graphqlUploadExpress.mjs'
import type { Logger } from 'pino'
import { recordRefusedMutation } from '../graphql/audit-refused-key.js'
import { principalFromHeader, type AppDeps, type RequestContext } from '../graphql/context.js'
import { healthRouter } from './health-route.js'
import { uploadsRouter } from './uploads-route.js'

/** The HTTP surface: /graphql (Apollo, with multipart uploads), /v1/uploads, /healthz, /readyz. */
export function createApp(deps: AppDeps, apollo: ApolloServer<RequestContext>, log: Logger): express.Express {
  const app = express()
  app.disable('x-powered-by')
  app.use(healthRouter(deps))
  app.use(uploadsRouter(deps, log))
  app.use(
    '/graphql',
    graphqlUploadExpress({ maxFileSize: deps.config.maxUploadBytes, maxFiles: 1 }),
    express.json({ limit: '5mb' }),
    expressMiddleware(apollo, {
      context: async ({ req }) => {
        try {
          return { deps, principal: await principalFromHeader(deps, req.headers.authorization) }
        } catch (err) {
          // No plugin sees a request whose context failed: a refused key's mutation is audited here.
          await recordRefusedMutation(deps, log, err, req.body)
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
    const e = err as { type?: string; status?: number; message?: string }
    const answer = (status: number, code: string, message: string): void => {
      res.status(status).json({ errors: [{ message, extensions: { code } }] })
    }
    if (e.type === 'entity.parse.failed') return answer(400, 'BAD_REQUEST', `the request body is not valid JSON: ${e.message}`)
    if (e.type === 'entity.too.large') return answer(413, 'PAYLOAD_TOO_LARGE', 'the request body is too large')
    if (typeof e.status === 'number' && e.status >= 400 && e.status < 500) return answer(e.status, 'BAD_REQUEST', e.message ?? 'bad request')
    log.error({ err }, 'unexpected error in an HTTP request')
    answer(500, 'INTERNAL_SERVER_ERROR', 'internal server error')
  }
}
