import { parse } from 'graphql'
import { describe, expect, it } from 'vitest'
import { mutationRootFields } from '../../../src/graphql/mutation-root-fields.js'

// Root fields of a mutation as written, for requests that never reached a resolver: the document
// may be invalid, so fragments may be missing or cyclic.

describe('mutationRootFields', () => {
  it('reads aliases, literal and variable arguments, and fields inside fragments', () => {
    const doc = parse('mutation M($y: String!) { a: deleteRule(id: "r1") importRules(yaml: $y) { rules { id } } ...F ... on Mutation { deleteUpload(id: "u1") } } fragment F on Mutation { setRuleEnabled(id: "r2", enabled: false) { id } }')
    expect(mutationRootFields(doc, 'M', { y: 'name: x' })).toEqual([
      { responseKey: 'a', fieldName: 'deleteRule', args: { id: 'r1' } },
      { responseKey: 'importRules', fieldName: 'importRules', args: { yaml: 'name: x' } },
      { responseKey: 'setRuleEnabled', fieldName: 'setRuleEnabled', args: { id: 'r2', enabled: false } },
      { responseKey: 'deleteUpload', fieldName: 'deleteUpload', args: { id: 'u1' } },
    ])
  })

  it('is null for queries and for an operation name that names nothing', () => {
    expect(mutationRootFields(parse('{ rules { id } }'), null, {})).toBeNull()
    expect(mutationRootFields(parse('mutation A { deleteRule(id: "x") } query B { rules { id } }'), 'B', {})).toBeNull()
    expect(mutationRootFields(parse('mutation A { deleteRule(id: "x") }'), 'C', {})).toBeNull()
  })

  it('survives cyclic and unknown fragments, and stops at 32 fields', () => {
    const cyclic = parse('mutation { ...A ...Missing } fragment A on Mutation { deleteRule(id: "x") ...B } fragment B on Mutation { ...A }')
    expect(mutationRootFields(cyclic, null, null)).toEqual([{ responseKey: 'deleteRule', fieldName: 'deleteRule', args: { id: 'x' } }])
    const many = parse(`mutation { ${Array.from({ length: 100 }, (_, i) => `f${i}: deleteRule(id: "${i}")`).join(' ')} }`)
    expect(mutationRootFields(many, null, {})).toHaveLength(32)
  })
})
