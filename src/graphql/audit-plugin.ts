import type { ApolloServerPlugin, GraphQLRequestListener } from '@apollo/server'
import type { GraphQLFormattedError } from 'graphql'
import type { Logger } from 'pino'
import { auditEvent, SUCCESS } from '../audit/audit-event.js'
import { isAuditedOperation } from '../audit/operation-summaries.js'
import { recordAuditEvents } from '../audit/record-audit-events.js'
import { auditActor } from './audit-actor.js'
import type { RequestContext } from './context.js'
import { formatError } from './format-error.js'
import { mutationRootFields } from './mutation-root-fields.js'

/**
 * The audit log of GraphQL mutations: after every mutation request, one event per root field with
 * its outcome — SUCCESS, the code of the error the root field answered with, the code of a
 * request-wide error (invalid document or variables: nothing ran), or NOT_EXECUTED (an earlier
 * root field failed, so graphql-js ran no more). Errors in sub-fields of a result that was
 * produced do not change the outcome: the mutation had happened.
 *
 * The events are written before the response is sent, so a client that reads `auditLog` next
 * sees them; a failed write is logged and the response stands (record-audit-events.ts). Callers
 * that name no tenant (no key, wrong operator token) are not recorded; keys refused at
 * authentication never get here (see audit-refused-key.ts).
 */

interface ExecutedField {
  /** As coerced by graphql-js. */
  args: Record<string, unknown>
  result: unknown
  error: unknown
}

export function auditPlugin(log: Logger): ApolloServerPlugin<RequestContext> {
  return {
    async requestDidStart(): Promise<GraphQLRequestListener<RequestContext>> {
      const executed = new Map<string, ExecutedField>()
      return {
        async executionDidStart({ operation }) {
          // Only mutations are watched; queries run without a per-field hook.
          if (operation?.operation !== 'mutation') return
          return {
            willResolveField({ args, info }) {
              if (info.path.prev !== undefined) return
              return (error, result) => void executed.set(String(info.path.key), { args, result, error })
            },
          }
        },
        async willSendResponse({ contextValue, document, request, response }) {
          const actor = auditActor(contextValue.principal)
          const written = actor && document ? mutationRootFields(document, request.operationName, request.variables) : null
          if (!actor || !written) return
          const errors = response.body.kind === 'single' ? response.body.singleResult.errors : response.body.initialResult.errors
          const events = written.flatMap((field) => {
            if (!isAuditedOperation(field.fieldName)) return []
            const run = executed.get(field.responseKey)
            const outcome = outcomeOf(field.responseKey, run, errors)
            return [auditEvent(actor, field.fieldName, run?.args ?? field.args, outcome === SUCCESS ? run?.result : undefined, outcome)]
          })
          await recordAuditEvents(contextValue.deps.prisma, log, events)
        },
      }
    },
  }
}

/** The code the client saw for this root field (see the plugin's description). */
function outcomeOf(responseKey: string, run: ExecutedField | undefined, errors: readonly GraphQLFormattedError[] | undefined): string {
  const code = (e: GraphQLFormattedError): string => (typeof e.extensions?.code === 'string' ? e.extensions.code : 'INTERNAL_SERVER_ERROR')
  const own = errors?.find((e) => e.path?.length === 1 && e.path[0] === responseKey)
  if (own) return code(own)
  if (run) return run.error ? code(formatError({ message: '' }, run.error)) : SUCCESS
  const requestWide = errors?.find((e) => e.path === undefined)
  return requestWide ? code(requestWide) : 'NOT_EXECUTED'
}
