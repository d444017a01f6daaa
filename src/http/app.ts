import type { ApolloServer } from '@apollo/server'
import { expressMiddleware } from '@as-integrations/express5'
import express from 'express'
import graphqlUploadExpress from 'graphql-upload/graphqlUploadExpress.mjs'
import type { Logger } from 'pino'
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
      context: async ({ req }) => ({ deps, principal: await principalFromHeader(deps, req.headers.authorization) }),
    }),
  )
  return app
}
