import { readFileSync } from 'node:fs'
import { ApolloServer, type ApolloServerPlugin } from '@apollo/server'
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled'
import { ApolloArmor } from '@escape.tech/graphql-armor'
import { makeExecutableSchema } from '@graphql-tools/schema'
import GraphQLUpload from 'graphql-upload/GraphQLUpload.mjs'
import type { Logger } from 'pino'
import { auditPlugin } from './audit-plugin.js'
import { noStorePlugin } from './no-store-plugin.js'
import { responseCache } from './response-cache/response-cache-plugin.js'
import type { TenantDataVersions } from './response-cache/tenant-data-versions.js'
import { formatError } from './format-error.js'
import { refuseHttpSubscriptions } from './refuse-http-subscriptions.js'
import { introspectionPolicy } from './introspection-policy.js'
import { telemetryPlugin } from './telemetry-plugin.js'
import type { Metrics } from '../metrics/metrics.js'
import type { RequestContext } from './context.js'
import { alertingResolvers } from './resolvers/alerting.js'
import { auditLogResolvers } from './resolvers/audit-log.js'
import { detectionResolvers } from './resolvers/detections.js'
import { drilldownResolvers } from './resolvers/drilldowns.js'
import { hostResolvers } from './resolvers/hosts.js'
import { liveResolvers } from './resolvers/live.js'
import { mitreCoverageResolvers } from './resolvers/mitre-coverage.js'
import { tenantResolvers } from './resolvers/tenants.js'
import { ruleLabResolvers } from './resolvers/rule-lab.js'
import { riskIncidentResolvers } from './resolvers/risk-incidents.js'
import { ruleExceptionResolvers } from './resolvers/rule-exceptions.js'
import { ruleResolvers } from './resolvers/rules.js'
import { scanResolvers } from './resolvers/scans.js'
import { uploadResolvers } from './resolvers/uploads.js'
import { webhookResolvers } from './resolvers/webhooks.js'
import { DateTimeScalar, JsonScalar } from './scalars.js'
import type { Resolvers, SubscriptionResolvers } from './generated/resolver-types.js'

/** The SDL, committed beside the code; every type and field is described there. */
export const typeDefs = readFileSync(new URL('./schema.graphql', import.meta.url), 'utf8')

export const resolvers: Resolvers = {
  DateTime: DateTimeScalar,
  JSON: JsonScalar,
  Upload: GraphQLUpload,
  Query: { ...ruleResolvers.Query, ...ruleLabResolvers.Query, ...uploadResolvers.Query, ...detectionResolvers.Query, ...hostResolvers.Query, ...tenantResolvers.Query, ...auditLogResolvers.Query, ...riskIncidentResolvers.Query, ...scanResolvers.Query, ...ruleExceptionResolvers.Query, ...mitreCoverageResolvers.Query, ...webhookResolvers.Query },
  Mutation: { ...ruleResolvers.Mutation, ...ruleLabResolvers.Mutation, ...uploadResolvers.Mutation, ...detectionResolvers.Mutation, ...hostResolvers.Mutation, ...tenantResolvers.Mutation, ...riskIncidentResolvers.Mutation, ...scanResolvers.Mutation, ...alertingResolvers.Mutation, ...ruleExceptionResolvers.Mutation, ...webhookResolvers.Mutation },
  Rule: { ...alertingResolvers.Rule, ...ruleResolvers.Rule, ...ruleLabResolvers.Rule, ...ruleExceptionResolvers.Rule },
  RuleException: ruleExceptionResolvers.RuleException,
  LogUpload: uploadResolvers.LogUpload,
  Detection: { ...detectionResolvers.Detection, ...alertingResolvers.Detection, ...drilldownResolvers.Detection },
  RiskEvent: drilldownResolvers.RiskEvent,
  ProcessEvent: drilldownResolvers.ProcessEvent,
  DetectionDrilldown: drilldownResolvers.DetectionDrilldown,
  DrilldownAnswer: drilldownResolvers.DrilldownAnswer,
  RiskObject: detectionResolvers.RiskObject,
  AuditEvent: auditLogResolvers.AuditEvent,
  RiskIncident: riskIncidentResolvers.RiskIncident,
  RiskIncidentRule: riskIncidentResolvers.RiskIncidentRule,
  Scan: scanResolvers.Scan,
  ScanSchedule: scanResolvers.ScanSchedule,
  // Subscriptions run over WebSocket only (refuseHttpSubscriptions), whose context is a LiveContext:
  // a request's plus the live hub (subscription-server.ts).
  Subscription: liveResolvers.Subscription as SubscriptionResolvers,
}

/** One executable schema for both transports: Apollo over HTTP, graphql-ws for subscriptions. */
export const executableSchema = makeExecutableSchema({ typeDefs, resolvers })

/**
 * Query-shape limits (graphql-armor): no client may send a query deep, wide or costly enough to
 * take the service down. Each rejection is a validation error with a message naming the limit.
 * Field suggestions ("Did you mean …") are hidden in production, where they would map the schema.
 */
export const QUERY_LIMITS = { maxDepth: 10, maxAliases: 15, maxDirectives: 20, maxTokens: 2_000, maxCost: 20_000 } as const

export function armor(production: boolean) {
  return new ApolloArmor({
    maxDepth: { n: QUERY_LIMITS.maxDepth },
    maxAliases: { n: QUERY_LIMITS.maxAliases },
    maxDirectives: { n: QUERY_LIMITS.maxDirectives },
    // Counted by graphql-js's own parser (parseOptions below): armor's counting parser runs in a
    // plugin hook, where any syntax error it meets became an HTTP 500 instead of Apollo's 400.
    maxTokens: { enabled: false },
    costLimit: { maxCost: QUERY_LIMITS.maxCost },
    blockFieldSuggestion: { enabled: production },
  }).protect()
}

/** Apollo Server without a listener: main.ts mounts it on Express, tests may executeOperation. */
export function createApolloServer(opts: {
  production: boolean
  log: Logger
  metrics?: Metrics
  /** Answers repeated queries from memory while the tenant's data is unchanged (response-cache/); none without. */
  responseCache?: { readonly versions: TenantDataVersions; readonly maxBytes: number } | null
}): ApolloServer<RequestContext> {
  const limits = armor(opts.production)
  const cache = opts.responseCache ? responseCache({ schema: executableSchema, ...opts.responseCache, metrics: opts.metrics ?? null }) : null
  return new ApolloServer<RequestContext>({
    schema: executableSchema,
    // armor's typings resolve Apollo's CJS declarations; the plugins are the same objects at run time.
    // Apollo's landing page loads Apollo Sandbox from a CDN: browsers get Watchpost's own GraphiQL
    // instead (src/http/graphql-console), served before requests reach Apollo.
    plugins: [...(limits.plugins as unknown as ApolloServerPlugin<RequestContext>[]), ApolloServerPluginLandingPageDisabled(), ApolloServerPluginCacheControlDisabled(), noStorePlugin<RequestContext>(), introspectionPolicy(opts.production), auditPlugin(opts.log), refuseHttpSubscriptions(), telemetryPlugin(opts.log, opts.metrics ?? null),
      ...(cache ? [cache.plugin] : [])],
    ...(cache ? { stringifyResult: cache.stringifyResult } : {}),
    validationRules: limits.validationRules,
    parseOptions: { maxTokens: QUERY_LIMITS.maxTokens },
    allowBatchedHttpRequests: false,
    // The service stops on SIGTERM itself, draining requests first (src/service.ts); Apollo's own
    // handler would stop it mid-request and re-raise the signal, killing the process.
    stopOnTerminationSignals: false,
    // Open to every caller here; in production introspectionPolicy asks for a credential.
    introspection: true,
    includeStacktraceInErrorResponses: false,
    formatError: (formatted, error) => formatError(formatted, error, (err) => opts.log.error({ err }, 'unexpected error in a GraphQL operation')),
  })
}
