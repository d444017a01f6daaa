import { GraphQLError } from 'graphql'
import { describe, expect, it } from 'vitest'
import { NotFoundError, UnauthenticatedError, InvalidInputError } from '../../../src/errors.js'
import { formatError } from '../../../src/graphql/format-error.js'

// The one place errors become `extensions.code`: domain errors keep their code and details,
// graphql-js request errors keep theirs, everything else is masked.

const formatted = (message: string, code?: string) => ({ message, path: ['x'], extensions: code ? { code } : {} })

describe('formatError', () => {
  it('keeps a domain error’s message, code and details', () => {
    const err = new GraphQLError('wrapped', { originalError: new NotFoundError('Rule', 'r1') })
    expect(formatError(formatted('wrapped'), err)).toEqual({ message: 'Rule r1 not found', path: ['x'], extensions: { code: 'NOT_FOUND', entity: 'Rule', id: 'r1' } })
    const input = new InvalidInputError('"first" must be an integer from 0 to 500', { field: 'first', max: 500 })
    expect(formatError(formatted('x'), input).extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'first', max: 500 })
  })

  it('finds a domain error wrapped more than once (context creation)', () => {
    const inner = new GraphQLError('Context creation failed', { originalError: new UnauthenticatedError('invalid or expired API key') })
    const outer = new GraphQLError('outer', { originalError: inner })
    expect(formatError(formatted('outer'), outer).extensions?.code).toBe('UNAUTHENTICATED')
  })

  it('passes graphql-js validation and input errors through', () => {
    const err = new GraphQLError('Cannot query field "nope" on type "Query".')
    expect(formatError(formatted(err.message, 'GRAPHQL_VALIDATION_FAILED'), err)).toMatchObject({ message: err.message, extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } })
  })

  it('masks anything else as INTERNAL_SERVER_ERROR and reports it', () => {
    const seen: unknown[] = []
    const secret = new Error('connect ECONNREFUSED 10.1.2.3:5432 password=hunter2')
    const out = formatError(formatted(secret.message), new GraphQLError(secret.message, { originalError: secret, path: ['x'] }), (e) => seen.push(e))
    expect(out).toEqual({ message: 'internal server error', path: ['x'], extensions: { code: 'INTERNAL_SERVER_ERROR' } })
    expect(seen).toEqual([secret])
  })
})
