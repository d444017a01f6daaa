import { parse, type DocumentNode } from 'graphql'
import type { Logger } from 'pino'
import { auditEvent } from '../audit/audit-event.js'
import { isAuditedOperation } from '../audit/operation-summaries.js'
import { recordAuditEvents } from '../audit/record-audit-events.js'
import { RefusedApiKeyError } from '../store/refused-api-key.js'
import { auditActor } from './audit-actor.js'
import type { AppDeps } from './context.js'
import { mutationRootFields } from './mutation-root-fields.js'
import { QUERY_LIMITS } from './server.js'

/**
 * Records a GraphQL mutation sent with a refused key that names a tenant (wrong secret, revoked,
 * expired, tenant suspended): one UNAUTHENTICATED event per root field, in that tenant's log, with
 * the reason (which the client is never told). Authentication fails while Apollo creates the
 * request's context, before any plugin sees the request, so the context function calls this.
 */
export async function recordRefusedMutation(deps: AppDeps, log: Logger, authError: unknown, body: unknown): Promise<void> {
  const actor = auditActor(null, authError)
  if (!actor || !(authError instanceof RefusedApiKeyError)) return
  const { query, operationName, variables } = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>
  const document = parseQuietly(query)
  const fields = document ? mutationRootFields(document, typeof operationName === 'string' ? operationName : null, variables) : null
  if (!fields) return
  const events = fields.flatMap((f) => {
    if (!isAuditedOperation(f.fieldName)) return []
    const event = auditEvent(actor, f.fieldName, f.args, undefined, authError.code)
    return [{ ...event, summary: { ...event.summary, keyRefused: authError.reason } }]
  })
  await recordAuditEvents(deps.prisma, log, events)
}

/** The same token limit as for authenticated requests: this parse runs before any other check. */
function parseQuietly(query: unknown): DocumentNode | null {
  if (typeof query !== 'string') return null
  try {
    return parse(query, { maxTokens: QUERY_LIMITS.maxTokens })
  } catch {
    return null
  }
}
