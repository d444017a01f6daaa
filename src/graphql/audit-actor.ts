import type { AuditActor } from '../audit/audit-event.js'
import { RefusedApiKeyError } from '../store/refused-api-key.js'
import type { RequestContext } from './context.js'

/**
 * Who an API request's audit events name: the authenticated caller, or — when authentication
 * failed — the key it presented, if that key names a tenant. Null when no tenant can be known (no
 * credential, a malformed one, a wrong operator token): such attempts are not recorded.
 */
export function auditActor(principal: RequestContext['principal'], authError?: unknown): AuditActor | null {
  if (principal !== null) {
    if ('operator' in principal) return { tenantId: null, keyId: null, role: 'operator' }
    return { tenantId: principal.tenantId, keyId: principal.keyId, role: principal.role }
  }
  if (authError instanceof RefusedApiKeyError) return { tenantId: authError.key.tenantId, keyId: authError.key.keyId, role: authError.key.role }
  return null
}
