import type { ApolloServerPlugin } from '@apollo/server'
import type { OperationDefinitionNode } from 'graphql'
import type { Logger } from 'pino'
import type { Metrics } from '../metrics/metrics.js'
import type { RequestContext } from './context.js'

/**
 * One log line per GraphQL operation (type, first root field, the client's operation name,
 * outcome, duration; the request id comes with it, see log-context.ts) and, when given, its
 * metrics. Metric labels use the root field, read once the document is validated, so it is one
 * of the schema's; the client's operationName goes to the log only, since any caller could make
 * up names without end. The outcome is `OK` or the first error's `extensions.code` as the client
 * sees it (format-error.ts): refusals and documents that fail validation (type `none`) count too.
 * Two kinds of request never reach plugins, and count in the HTTP metrics only: a document that
 * does not parse (the query-shape limits throw while parsing) and a request whose key fails
 * authentication (context creation fails first).
 */
export function telemetryPlugin(log: Logger, metrics: Metrics | null): ApolloServerPlugin<RequestContext> {
  return {
    async requestDidStart() {
      const started = performance.now()
      let type = 'none'
      let field = 'none'
      return {
        async didResolveOperation({ operation }) {
          if (!operation) return
          type = operation.operation
          field = firstRootField(operation)
        },
        async willSendResponse({ response, request }) {
          const errors = response.body.kind === 'single' ? response.body.singleResult.errors : response.body.initialResult.errors
          const code = errors?.[0]?.extensions?.code
          const outcome = errors?.length ? (typeof code === 'string' ? code : 'INTERNAL_SERVER_ERROR') : 'OK'
          const seconds = (performance.now() - started) / 1000
          log.info({ type, field, operationName: request.operationName?.slice(0, 100), outcome, ms: Math.round(seconds * 1000) }, 'graphql operation')
          metrics?.graphqlOperations.inc({ type, field, outcome })
          metrics?.graphqlDuration.observe({ type, field, outcome }, seconds)
        },
      }
    },
  }
}

function firstRootField(operation: OperationDefinitionNode): string {
  const selection = operation.selectionSet.selections[0]
  // A fragment at the root has no single field to name.
  return selection?.kind === 'Field' ? selection.name.value : 'fragment'
}
