import { createSourceEventStream, execute, getOperationAST, GraphQLError, parse, specifiedRules, validate, type DocumentNode, type ExecutionArgs, type ExecutionResult } from 'graphql'
import type { ServerOptions } from 'graphql-ws'
import type { Extra } from 'graphql-ws/use/ws'
import type { Logger } from 'pino'
import { withTenantScope } from '../db/db-scope.js'
import { ForbiddenError, RateLimitedError, UnauthenticatedError } from '../errors.js'
import type { LiveHub } from '../live/live-hub.js'
import type { RateLimiter } from '../rate-limit/redis-rate-limiter.js'
import type { Principal } from '../store/api-keys.js'
import { identifyCaller, type AppDeps } from './context.js'
import { formatError } from './format-error.js'
import type { LiveContext } from './resolvers/live.js'
import { armor, executableSchema } from './server.js'

/**
 * graphql-ws's options for Watchpost: who may connect, what may be subscribed to, and how errors
 * look. The rules of POST /graphql hold here too:
 * - the same API keys (connectionParams `{ authorization: "Bearer <key>" }`, or the upgrade
 *   request's Authorization header); a connection without a valid key is closed with 4401 and the
 *   reason, the operator credential with 4403 (it sees no tenant's data);
 * - each subscribe spends one request of the key's RATE_LIMIT_PER_MINUTE budget (and so does
 *   connecting), and checks the key again: a revoked key subscribes no more, and its open
 *   connections are closed within KEY_RECHECK_MS;
 * - the same query-shape limits (graphql-armor) and the same `extensions.code` on errors;
 * - only subscriptions: queries and mutations stay on HTTP, where they are audited and measured.
 */

/** How often an open connection's key is checked again (revoked, expired, tenant suspended). */
export const KEY_RECHECK_MS = 60_000
/** Subscriptions one connection may hold at once. */
export const MAX_SUBSCRIPTIONS_PER_CONNECTION = 100

/** graphql-ws close codes (4xxx as the protocol uses them). */
const CLOSE = { unauthorized: 4401, forbidden: 4403, rateLimited: 4429 } as const

export interface SubscriptionServerDeps {
  deps: AppDeps
  live: LiveHub
  limiter: RateLimiter
  log: Logger
  /** Production hides field suggestions in validation errors, as Apollo does (graphql-armor). */
  production: boolean
}

interface Connection {
  principal: Principal
  authorization: string
  recheck: NodeJS.Timeout
}

type Params = Record<string, unknown> | undefined

export function subscriptionServerOptions(opts: SubscriptionServerDeps): ServerOptions<Params, Extra> {
  const { deps, log } = opts
  // The same query-shape limits as over HTTP.
  const validationRules = [...specifiedRules, ...armor(opts.production).validationRules]
  const connections = new WeakMap<object, Connection>()
  /** Each subscription's source stream, opened by onSubscribe, by its context. */
  const sources = new WeakMap<object, AsyncIterable<unknown>>()
  const perMinute = deps.config.rateLimitPerMinute
  const spend = async (principal: Principal): Promise<RateLimitedError | null> => {
    if (perMinute === 0) return null
    const decision = await opts.limiter.take(`key:${principal.keyId}`, perMinute)
    return decision.allowed ? null : new RateLimitedError(perMinute, Math.max(1, Math.ceil(decision.retryAfterMs / 1000)), 'for this API key')
  }
  /** The tenant key presented, or the close code and reason that refuse it. */
  const authenticate = async (authorization: string | undefined): Promise<Principal | { code: number; reason: string }> => {
    if (!authorization) return { code: CLOSE.unauthorized, reason: 'Unauthorized: an API key is required: send connectionParams { authorization: "Bearer <api key>" }' }
    try {
      const caller = await identifyCaller(deps, authorization)
      if (caller === null) return { code: CLOSE.unauthorized, reason: 'Unauthorized: an API key is required' }
      if ('operator' in caller) return { code: CLOSE.forbidden, reason: new ForbiddenError('the operator credential manages tenants only; use a tenant API key').message }
      return caller
    } catch (err) {
      if (err instanceof UnauthenticatedError) return { code: CLOSE.unauthorized, reason: `Unauthorized: ${err.message}` }
      throw err
    }
  }
  const format = (errors: readonly GraphQLError[]) => errors.map((e) => formatError(e.toJSON(), e, (err) => log.error({ err }, 'unexpected error in a GraphQL subscription')))

  return {
    schema: executableSchema,
    // The connection is authenticated once connection_init arrives (graphql-ws waits 3 s for it).
    onConnect: async (ctx) => {
      const socket = ctx.extra.socket
      const authorization = authorizationOf(ctx.connectionParams) ?? ctx.extra.request.headers.authorization
      const who = await authenticate(authorization)
      if ('code' in who) {
        socket.close(who.code, closeReason(who.reason))
        return false
      }
      const limited = await spend(who)
      if (limited) {
        socket.close(CLOSE.rateLimited, closeReason(`Too many requests: ${limited.message}`))
        return false
      }
      const recheck = setInterval(() => {
        authenticate(authorization)
          .then((again) => {
            if ('code' in again) socket.close(again.code, closeReason(again.reason))
          })
          .catch(() => {}) // Postgres away: checked again at the next tick.
      }, KEY_RECHECK_MS)
      recheck.unref()
      connections.set(socket, { principal: who, authorization: authorization!, recheck })
      return true
    },
    onClose: (ctx) => {
      const connection = connections.get(ctx.extra.socket)
      if (connection) clearInterval(connection.recheck)
    },
    onSubscribe: async (ctx, _id, payload) => {
      const connection = connections.get(ctx.extra.socket)
      if (!connection) return [new GraphQLError('not authenticated', { originalError: new UnauthenticatedError('an API key is required') })]
      const again = await authenticate(connection.authorization)
      if ('code' in again) {
        ctx.extra.socket.close(again.code, closeReason(again.reason))
        return [new GraphQLError(again.reason, { originalError: new UnauthenticatedError(again.reason) })]
      }
      if (Object.keys(ctx.subscriptions).length > MAX_SUBSCRIPTIONS_PER_CONNECTION) {
        return [badRequest(`at most ${MAX_SUBSCRIPTIONS_PER_CONNECTION} subscriptions per connection; complete some or open another connection`)]
      }
      const limited = await spend(again)
      if (limited) return [new GraphQLError(limited.message, { originalError: limited })]
      let document: DocumentNode
      try {
        document = parse(payload.query)
      } catch (err) {
        return [new GraphQLError((err as Error).message, { extensions: { code: 'GRAPHQL_PARSE_FAILED' } })]
      }
      const invalid = validate(executableSchema, document, validationRules)
      if (invalid.length > 0) return invalid.map((e) => new GraphQLError(e.message, { nodes: e.nodes, extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } }))
      const operation = getOperationAST(document, payload.operationName)
      if (!operation) return [badRequest('the document must name one operation (operationName)')]
      if (operation.operation !== 'subscription') return [badRequest(`only subscriptions are served over WebSocket; send ${operation.operation === 'query' ? 'queries' : 'mutations'} with POST /graphql`)]
      const contextValue: LiveContext = { deps, principal: again, live: opts.live }
      const args: ExecutionArgs = { schema: executableSchema, document, operationName: payload.operationName, variableValues: payload.variables, contextValue }
      // Opened here so that a refusal (NOT_FOUND, FORBIDDEN, bad variables) is an `error` message
      // for this subscription, as validation errors are, rather than a result that then completes.
      const source = await withTenantScope(again.tenantId, () => createSourceEventStream(args))
      if (!(Symbol.asyncIterator in source)) return source.errors ?? [new GraphQLError('the subscription could not start')]
      sources.set(contextValue, source)
      return args
    },
    subscribe: (args) => eventByEvent(args, sources.get(args.contextValue as object)!),
    onError: (_ctx, _id, _payload, errors) => format(errors),
    onNext: (_ctx, _id, _payload, _args, result) => (result.errors ? { ...result, errors: format(result.errors) } : undefined),
  }
}

/**
 * The rest of graphql-js's subscribe: each event of the source is executed into a result, like a
 * request of its own — with a fresh context (per-request caches, such as a detection's rule, start
 * empty instead of living as long as the subscription) and under the subscriber's tenant scope
 * (row-level security), since events arrive from Redis callbacks that carry no scope.
 */
function eventByEvent(args: ExecutionArgs, source: AsyncIterable<unknown>): AsyncGenerator<ExecutionResult> {
  const ctx = args.contextValue as LiveContext
  const tenantId = (ctx.principal as Principal).tenantId
  const events = source[Symbol.asyncIterator]()
  const results: AsyncGenerator<ExecutionResult> = {
    async next() {
      const event = await events.next()
      if (event.done) return { value: undefined, done: true }
      const value = await withTenantScope(tenantId, () => execute({ ...args, rootValue: event.value, contextValue: { ...ctx } }))
      return { value, done: false }
    },
    async return() {
      await events.return?.()
      return { value: undefined, done: true }
    },
    async throw(err: unknown) {
      await events.return?.()
      throw err
    },
    [Symbol.asyncIterator]() {
      return results
    },
  }
  return results
}

function authorizationOf(params: Params): string | undefined {
  const value = params?.authorization ?? params?.Authorization
  return typeof value === 'string' ? value : undefined
}

function badRequest(message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'BAD_REQUEST' } })
}

/** A WebSocket close reason is at most 123 bytes. */
function closeReason(text: string): string {
  if (Buffer.byteLength(text) <= 123) return text
  let cut = text.slice(0, 120)
  while (Buffer.byteLength(cut) > 120) cut = cut.slice(0, -1)
  return `${cut}…`
}
