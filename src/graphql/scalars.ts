import { GraphQLError, GraphQLScalarType, Kind, type ValueNode } from 'graphql'

/** DateTime: ISO-8601 in and out; anything unparseable is the client's error, named. */
export const DateTimeScalar = new GraphQLScalarType({
  name: 'DateTime',
  serialize(value) {
    const d = value instanceof Date ? value : new Date(value as string)
    if (Number.isNaN(d.getTime())) throw new GraphQLError('DateTime cannot represent an invalid date')
    return d.toISOString()
  },
  parseValue(value) {
    return parseDate(value)
  },
  parseLiteral(ast) {
    if (ast.kind !== Kind.STRING) throw new GraphQLError('DateTime must be an ISO-8601 string', { extensions: { code: 'BAD_USER_INPUT' } })
    return parseDate(ast.value)
  },
})

function parseDate(value: unknown): Date {
  const d = typeof value === 'string' && /^\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(value) ? new Date(value) : new Date(NaN)
  if (Number.isNaN(d.getTime())) {
    throw new GraphQLError(`DateTime must be an ISO-8601 date or time, e.g. 2026-03-10T12:00:00Z; got ${JSON.stringify(value)}`, { extensions: { code: 'BAD_USER_INPUT' } })
  }
  return d
}

function literalToJson(ast: ValueNode): unknown {
  switch (ast.kind) {
    case Kind.STRING:
    case Kind.BOOLEAN:
      return ast.value
    case Kind.INT:
    case Kind.FLOAT:
      return Number(ast.value)
    case Kind.NULL:
      return null
    case Kind.LIST:
      return ast.values.map(literalToJson)
    case Kind.OBJECT:
      return Object.fromEntries(ast.fields.map((f) => [f.name.value, literalToJson(f.value)]))
    default:
      throw new GraphQLError('JSON literals cannot contain variables', { extensions: { code: 'BAD_USER_INPUT' } })
  }
}

/** JSON: any JSON value, passed through. */
export const JsonScalar = new GraphQLScalarType({
  name: 'JSON',
  serialize: (v) => v,
  parseValue: (v) => v,
  parseLiteral: literalToJson,
})
