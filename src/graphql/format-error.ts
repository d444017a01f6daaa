import { unwrapResolverError } from '@apollo/server/errors'
import type { GraphQLFormattedError } from 'graphql'
import { DomainError } from '../errors.js'

/**
 * The one place where errors become GraphQL `extensions.code`. Domain errors keep their message,
 * code and safe details; graphql-js's own errors (syntax, validation, variable coercion) keep
 * theirs; anything else is masked as INTERNAL_SERVER_ERROR, because its message may leak internals.
 */

const PASS_THROUGH = new Set(['GRAPHQL_PARSE_FAILED', 'GRAPHQL_VALIDATION_FAILED', 'BAD_USER_INPUT', 'PERSISTED_QUERY_NOT_FOUND', 'BAD_REQUEST', 'OPERATION_RESOLUTION_FAILURE'])

export function formatError(formatted: GraphQLFormattedError, error: unknown, onInternal?: (err: unknown) => void): GraphQLFormattedError {
  const original = rootCause(unwrapResolverError(error))
  if (original instanceof DomainError) {
    return { message: original.message, locations: formatted.locations, path: formatted.path, extensions: { code: original.code, ...original.details } }
  }
  const code = formatted.extensions?.code
  if (typeof code === 'string' && PASS_THROUGH.has(code)) return { message: formatted.message, locations: formatted.locations, path: formatted.path, extensions: { code } }
  onInternal?.(original)
  return { message: 'internal server error', path: formatted.path, extensions: { code: 'INTERNAL_SERVER_ERROR' } }
}

/**
 * The error that started it all: resolvers throw domain errors directly, but context creation and
 * graphql-js wrap them (sometimes twice), so follow `originalError` to the end.
 */
function rootCause(err: unknown): unknown {
  let e = err
  for (let depth = 0; depth < 5; depth++) {
    const inner = (e as { originalError?: unknown } | null)?.originalError
    if (!inner) break
    e = inner
  }
  return e
}
