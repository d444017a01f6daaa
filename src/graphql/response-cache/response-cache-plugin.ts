import { HeaderMap, type ApolloServerPlugin } from '@apollo/server'
import type { FormattedExecutionResult, GraphQLSchema } from 'graphql'
import type { Metrics } from '../../metrics/metrics.js'
import type { RequestContext } from '../context.js'
import { cacheableDocuments } from './cacheable-operations.js'
import { ResponseStore } from './response-store.js'
import type { TenantDataVersions } from './tenant-data-versions.js'

/**
 * Answers a tenant's repeated queries of detections and risk objects from memory while the data
 * they were computed from is unchanged (a SOC's analysts and dashboards poll the same triage queue).
 *
 * Exactness: an answer is stored with the version of the tenant's data taken BEFORE it was
 * computed, and only if the version is still the same once it is; it is served only at that
 * version. Versions move on when Postgres announces a committed change of the tenant's
 * detections, rules or risk events (by any process: workers, scans, another API process, SQL),
 * and, in this process, as soon as one of its mutations answered — so a client sees its own
 * writes at once, and other writers' within the notification's delivery (milliseconds). While
 * the announcements cannot be heard, nothing is cached or served.
 *
 * Answers are keyed by tenant, key role, operation name, query hash and variables; only answers
 * without errors are stored, so a refusal (a role without read access) is never shared.
 *
 * Each answer is kept with its HTTP body, serialized once when it is stored: `stringifyResult`
 * (Apollo's hook for turning a result into the body) hands that body out again for a result that
 * is exactly a stored answer, so a hit costs no JSON serialization — for the triage queue's
 * 50 rows, ~70 KB, that was the largest cost of answering from memory.
 */
export function responseCache(opts: {
  readonly schema: GraphQLSchema
  readonly versions: TenantDataVersions
  readonly maxBytes: number
  readonly metrics?: Metrics | null
}): { readonly plugin: ApolloServerPlugin<RequestContext>; readonly stringifyResult: (result: FormattedExecutionResult) => string } {
  const store = new ResponseStore(opts.maxBytes)
  /** The body each stored answer was serialized to, by the answer's `data` object. */
  const bodies = new WeakMap<object, string>()
  const cacheable = cacheableDocuments(opts.schema)
  const count = (result: 'hit' | 'miss' | 'uncacheable'): void => opts.metrics?.graphqlResponseCache.inc({ result })
  const plugin: ApolloServerPlugin<RequestContext> = {
    async requestDidStart() {
      let pending: { key: string; version: number; tenantId: string } | null = null
      let mutatedTenant: string | null = null
      return {
        async responseForOperation({ document, operation, request, contextValue, queryHash }) {
          const principal = contextValue.principal
          if (principal === null || 'operator' in principal) return null
          if (operation.operation === 'mutation') {
            mutatedTenant = principal.tenantId
            return null
          }
          const version = opts.versions.versionOf(principal.tenantId)
          if (!cacheable(document) || version === null) {
            count('uncacheable')
            return null
          }
          const key = [principal.tenantId, principal.role, request.operationName ?? '', queryHash, JSON.stringify(request.variables ?? {})].join('\n')
          const data = store.get(key, version)
          if (data !== undefined) {
            count('hit')
            return { http: { status: undefined, headers: new HeaderMap() }, body: { kind: 'single', singleResult: { data: data as Record<string, unknown> } } }
          }
          count('miss')
          pending = { key, version, tenantId: principal.tenantId }
          return null
        },
        async willSendResponse({ response }) {
          // Committed by now (resolvers have returned): answers of earlier data must not be served again.
          if (mutatedTenant !== null) opts.versions.changed(mutatedTenant)
          if (pending === null || response.body.kind !== 'single') return
          const { data, errors } = response.body.singleResult
          if (errors?.length || data == null) return
          if (opts.versions.versionOf(pending.tenantId) !== pending.version) return
          const body = serialize({ data })
          // The body and the objects it was made from are both held: count the latter as much again.
          if (store.set(pending.key, pending.version, data, 2 * Buffer.byteLength(body))) bodies.set(data, body)
        },
      }
    },
  }
  return {
    plugin,
    // Apollo passes { errors, data, extensions }; a stored answer is served as { data } alone.
    stringifyResult: (result) => (result.errors === undefined && result.extensions === undefined && result.data != null && bodies.get(result.data)) || serialize(result),
  }
}

/** Apollo's own serialization of a result (prettyJSONStringify). */
const serialize = (result: FormattedExecutionResult): string => `${JSON.stringify(result)}\n`
