import { readFileSync } from 'node:fs'
import { ApolloServer } from '@apollo/server'
import GraphQLUpload from 'graphql-upload/GraphQLUpload.mjs'
import type { Logger } from 'pino'
import { formatError } from './format-error.js'
import type { RequestContext } from './context.js'
import { detectionResolvers } from './resolvers/detections.js'
import { hostResolvers } from './resolvers/hosts.js'
import { tenantResolvers } from './resolvers/tenants.js'
import { ruleLabResolvers } from './resolvers/rule-lab.js'
import { ruleResolvers } from './resolvers/rules.js'
import { uploadResolvers } from './resolvers/uploads.js'
import { DateTimeScalar, JsonScalar } from './scalars.js'

/** The SDL, committed beside the code; every type and field is described there. */
export const typeDefs = readFileSync(new URL('./schema.graphql', import.meta.url), 'utf8')

export const resolvers = {
  DateTime: DateTimeScalar,
  JSON: JsonScalar,
  Upload: GraphQLUpload,
  Query: { ...ruleResolvers.Query, ...ruleLabResolvers.Query, ...uploadResolvers.Query, ...detectionResolvers.Query, ...hostResolvers.Query, ...tenantResolvers.Query },
  Mutation: { ...ruleResolvers.Mutation, ...ruleLabResolvers.Mutation, ...uploadResolvers.Mutation, ...hostResolvers.Mutation, ...tenantResolvers.Mutation },
  Rule: { ...ruleResolvers.Rule, ...ruleLabResolvers.Rule },
  LogUpload: uploadResolvers.LogUpload,
  Detection: detectionResolvers.Detection,
  RiskObject: detectionResolvers.RiskObject,
}

/** Apollo Server without a listener: main.ts mounts it on Express, tests may executeOperation. */
export function createApolloServer(opts: { production: boolean; log: Logger }): ApolloServer<RequestContext> {
  return new ApolloServer<RequestContext>({
    typeDefs,
    resolvers,
    introspection: !opts.production,
    includeStacktraceInErrorResponses: false,
    formatError: (formatted, error) => formatError(formatted, error, (err) => opts.log.error({ err }, 'unexpected error in a GraphQL operation')),
  })
}
