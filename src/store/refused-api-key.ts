import { UnauthenticatedError } from '../errors.js'
import type { Principal } from './api-keys.js'

export type KeyRefusal = 'wrong secret' | 'revoked' | 'expired' | 'tenant suspended'

/**
 * A presented key whose prefix names a stored key, refused all the same. The client sees the same
 * UNAUTHENTICATED answer as for any bad key (`key` and `reason` are not error details, so they are
 * never sent); the audit log records the attempt against the key's tenant.
 */
export class RefusedApiKeyError extends UnauthenticatedError {
  constructor(
    readonly key: Principal,
    readonly reason: KeyRefusal,
  ) {
    super('invalid or expired API key')
  }
}
