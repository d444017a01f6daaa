import type { Response } from 'express'
import { DomainError, RateLimitedError, type ErrorCode } from '../errors.js'

/** REST answers use the same codes as GraphQL's `extensions.code`, with the matching HTTP status. */
const STATUS: Record<ErrorCode, number> = {
  NOT_FOUND: 404,
  BAD_USER_INPUT: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  CONFLICT: 409,
  PAYLOAD_TOO_LARGE: 413,
  RATE_LIMITED: 429,
}

/** The HTTP status for a domain error's code. */
export const httpStatusOf = (err: DomainError): number => STATUS[err.code]

export function sendError(res: Response, err: unknown, onInternal: (err: unknown) => void): void {
  if (res.headersSent) {
    res.destroy()
    return
  }
  if (err instanceof DomainError) {
    withHeaders(res, err).status(STATUS[err.code]).json({ error: { code: err.code, message: err.message, ...err.details } })
    return
  }
  onInternal(err)
  res.status(500).json({ error: { code: 'INTERNAL_SERVER_ERROR', message: 'internal server error' } })
}

/**
 * The same answer in GraphQL's shape, for /graphql requests refused before Apollo runs (rate
 * limits, authentication, bodies too large): `{ errors: [{ message, extensions: { code, … } }] }`.
 */
export function sendGraphQLError(res: Response, err: unknown, onInternal: (err: unknown) => void): void {
  if (res.headersSent) {
    res.destroy()
    return
  }
  if (err instanceof DomainError) {
    withHeaders(res, err).status(STATUS[err.code]).json({ errors: [{ message: err.message, extensions: { code: err.code, ...err.details } }] })
    return
  }
  onInternal(err)
  res.status(500).json({ errors: [{ message: 'internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } }] })
}

/** HTTP's own way of saying when to come back (RFC 9110 §10.2.3), beside the JSON body. */
function withHeaders(res: Response, err: DomainError): Response {
  if (err instanceof RateLimitedError) res.set('Retry-After', String(err.retryAfterSeconds))
  return res
}
