import type { Response } from 'express'
import { DomainError, type ErrorCode } from '../errors.js'

/** REST answers use the same codes as GraphQL's `extensions.code`, with the matching HTTP status. */
const STATUS: Record<ErrorCode, number> = {
  NOT_FOUND: 404,
  BAD_USER_INPUT: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  CONFLICT: 409,
  PAYLOAD_TOO_LARGE: 413,
}

export function sendError(res: Response, err: unknown, onInternal: (err: unknown) => void): void {
  if (res.headersSent) {
    res.destroy()
    return
  }
  if (err instanceof DomainError) {
    res.status(STATUS[err.code]).json({ error: { code: err.code, message: err.message, ...err.details } })
    return
  }
  onInternal(err)
  res.status(500).json({ error: { code: 'INTERNAL_SERVER_ERROR', message: 'internal server error' } })
}
