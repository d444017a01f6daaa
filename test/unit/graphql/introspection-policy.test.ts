import { parse } from 'graphql'
import { describe, expect, it } from 'vitest'
import { introspects } from '../../../src/graphql/introspection-policy.js'

describe('introspects', () => {
  it('finds __schema and __type anywhere in the document, fragments and aliases included', () => {
    expect(introspects(parse('{ __schema { queryType { name } } }'))).toBe(true)
    expect(introspects(parse('{ t: __type(name: "Detection") { name } }'))).toBe(true)
    expect(introspects(parse('query { ...F } fragment F on Query { __schema { types { name } } }'))).toBe(true)
    expect(introspects(parse('{ detections { edges { node { id } } } __type(name: "Rule") { fields { name } } }'))).toBe(true)
  })

  it('does not count __typename or ordinary fields', () => {
    expect(introspects(parse('{ __typename }'))).toBe(false)
    expect(introspects(parse('{ detections { __typename totalCount } }'))).toBe(false)
    expect(introspects(parse('{ schema: rules { id } }'))).toBe(false)
  })
})
