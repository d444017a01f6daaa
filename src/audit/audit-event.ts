import type { ApiKeyRole } from '../store/api-keys.js'
import { OPERATION_AUDITS, type AuditedOperation, type OperationAudit } from './operation-summaries.js'

/** Who did it: a tenant key's role, the operator credential, or the `watchpost` CLI on the server. */
export type AuditActorRole = ApiKeyRole | 'operator' | 'cli'

/** The outcome of a mutation that did what it was asked; failures record their error code instead. */
export const SUCCESS = 'SUCCESS'

export interface AuditActor {
  /** The actor's own tenant (a tenant key, or the CLI acting on a named tenant); null for the operator. */
  tenantId: string | null
  keyId: string | null
  role: AuditActorRole
}

/** One row of audit_events, before it is written. */
export interface AuditEventInput {
  tenantId: string | null
  actorKeyId: string | null
  actorRole: AuditActorRole
  operation: AuditedOperation
  summary: Record<string, unknown>
  outcome: string
}

/**
 * The record of one mutation call. `args` and `result` are only ever read through the operation's
 * allow-list (operation-summaries.ts). The tenant is the actor's own; an actor without one (the
 * operator, the CLI creating a tenant) is recorded against the tenant it acted on, if any.
 */
export function auditEvent(actor: AuditActor, operation: AuditedOperation, args: Record<string, unknown>, result: unknown, outcome: string): AuditEventInput {
  const audit: OperationAudit = OPERATION_AUDITS[operation]
  // NOT_FOUND: the id names no tenant, so the event concerns none.
  const target = outcome === 'NOT_FOUND' ? null : (audit.targetTenant?.(args, result) ?? null)
  return {
    tenantId: actor.tenantId ?? target,
    actorKeyId: actor.keyId,
    actorRole: actor.role,
    operation,
    summary: compact(audit.summarise(args, result)),
    outcome,
  }
}

/** Drops undefined members, which JSON would drop anyway, so that what is stored is what is tested. */
function compact(summary: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(summary).filter(([, v]) => v !== undefined))
}
