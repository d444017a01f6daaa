import { readFileSync } from 'node:fs'
import {
  buildSchema,
  isEnumType,
  isInputObjectType,
  isInterfaceType,
  isIntrospectionType,
  isObjectType,
  isSpecifiedScalarType,
  type GraphQLSchema,
} from 'graphql'
import { describe, expect, it } from 'vitest'

const sdl = readFileSync(new URL('../../../src/graphql/schema.graphql', import.meta.url), 'utf8')

/** Every schema element a client sees in introspection, as `Type`, `Type.field`, `Type.field(arg)` or `Enum.VALUE`, that has no description. */
function undescribed(schema: GraphQLSchema): string[] {
  const missing: string[] = []
  const blank = (d: string | null | undefined): boolean => !d?.trim()
  for (const type of Object.values(schema.getTypeMap())) {
    if (isIntrospectionType(type) || isSpecifiedScalarType(type)) continue
    if (blank(type.description)) missing.push(type.name)
    if (isObjectType(type) || isInterfaceType(type)) {
      for (const field of Object.values(type.getFields())) {
        if (blank(field.description)) missing.push(`${type.name}.${field.name}`)
        for (const arg of field.args) if (blank(arg.description)) missing.push(`${type.name}.${field.name}(${arg.name})`)
      }
    } else if (isInputObjectType(type)) {
      for (const field of Object.values(type.getFields())) if (blank(field.description)) missing.push(`${type.name}.${field.name}`)
    } else if (isEnumType(type)) {
      for (const value of type.getValues()) if (blank(value.description)) missing.push(`${type.name}.${value.name}`)
    }
  }
  return missing
}

describe('schema descriptions', () => {
  it('describes every type, field, argument, input field and enum value of the SDL', () => {
    expect(undescribed(buildSchema(sdl))).toEqual([])
  })

  it('reports what is left undescribed, extensions included', () => {
    const schema = buildSchema(`
      "Root." type Query { "Described." a(x: Int): T }
      type T { b: String "Blank." c: String }
      extend type T { d(y: Int): E }
      "E." enum E { "One." ONE TWO }
      input I { "Z." z: Int w: Int }
      "U." union U = T
    `)
    expect(undescribed(schema)).toEqual(['Query.a(x)', 'T', 'T.b', 'T.d', 'T.d(y)', 'E.TWO', 'I', 'I.w'])
  })
})
