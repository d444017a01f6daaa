/**
 * The few domain errors Watchpost throws. Each carries a stable `code`; src/graphql/format-error.ts
 * and src/http/error-response.ts are the only places that turn them into API answers, and
 * anything else is masked as INTERNAL_SERVER_ERROR.
 */

export type ErrorCode = 'NOT_FOUND' | 'BAD_USER_INPUT' | 'UNAUTHENTICATED' | 'FORBIDDEN' | 'CONFLICT' | 'PAYLOAD_TOO_LARGE' | 'RATE_LIMITED'

export abstract class DomainError extends Error {
  abstract readonly code: ErrorCode
  /** Extra machine-readable details (field, line, position…), safe to show to the client. */
  readonly details: Record<string, unknown> | undefined
  constructor(message: string, details?: Record<string, unknown>) {
    super(message)
    this.name = new.target.name
    this.details = details
  }
}

export class NotFoundError extends DomainError {
  readonly code = 'NOT_FOUND'
  constructor(entity: string, id: string) {
    super(`${entity} ${id} not found`, { entity, id })
  }
}

export class InvalidInputError extends DomainError {
  readonly code = 'BAD_USER_INPUT'
}

export class UnauthenticatedError extends DomainError {
  readonly code = 'UNAUTHENTICATED'
}

export class ForbiddenError extends DomainError {
  readonly code = 'FORBIDDEN'
}

export class ConflictError extends DomainError {
  readonly code = 'CONFLICT'
}

export class PayloadTooLargeError extends DomainError {
  readonly code = 'PAYLOAD_TOO_LARGE'
}

/** The caller sent more requests than its per-minute budget; `retryAfterSeconds` says when one more fits. */
export class RateLimitedError extends DomainError {
  readonly code = 'RATE_LIMITED'
  constructor(
    readonly limitPerMinute: number,
    readonly retryAfterSeconds: number,
    who: string,
  ) {
    super(`rate limit exceeded: at most ${limitPerMinute} requests per minute ${who}; retry in ${retryAfterSeconds} s`, { limitPerMinute, retryAfterSeconds })
  }
}
