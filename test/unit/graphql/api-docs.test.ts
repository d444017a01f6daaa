import { readFileSync } from 'node:fs'
import { buildSchema, Kind, parse, validate, type GraphQLSchema, type OperationTypeNode } from 'graphql'
import { describe, expect, it } from 'vitest'

const sdl = readFileSync(new URL('../../../src/graphql/schema.graphql', import.meta.url), 'utf8')
const apiDoc = readFileSync(new URL('../../../docs/API.md', import.meta.url), 'utf8')

/** A `### name` section of the document: its heading and the ```graphql blocks under it. */
interface Section {
  heading: string
  line: number
  graphql: { text: string; line: number }[]
}

/** Splits Markdown into `###` sections; headings inside fenced blocks are not headings. Blocks before the first `###` belong to no section. */
function sections(markdown: string): { sections: Section[]; looseGraphql: { text: string; line: number }[] } {
  const found: Section[] = []
  const loose: { text: string; line: number }[] = []
  let current: Section | undefined
  let fence: { lang: string; line: number; body: string[] } | undefined
  markdown.split('\n').forEach((text, i) => {
    const line = i + 1
    if (fence) {
      if (/^```\s*$/.test(text)) {
        if (fence.lang === 'graphql') (current?.graphql ?? loose).push({ text: fence.body.join('\n'), line: fence.line })
        fence = undefined
      } else fence.body.push(text)
      return
    }
    const open = /^```(\S*)/.exec(text)
    if (open) {
      fence = { lang: open[1] ?? '', line, body: [] }
      return
    }
    const heading = /^(#{1,6})\s+(.*?)\s*$/.exec(text)
    if (!heading) return
    if (heading[1] === '###') {
      current = { heading: (heading[2] ?? '').replace(/`/g, ''), line, graphql: [] }
      found.push(current)
    } else if ((heading[1] ?? '').length < 3) current = undefined
  })
  return { sections: found, looseGraphql: loose }
}

/** Root operations of the schema by name, with the operation type they belong to. */
function rootOperations(schema: GraphQLSchema): Map<string, OperationTypeNode> {
  const roots = new Map<string, OperationTypeNode>()
  const types = [
    [schema.getQueryType(), 'query'],
    [schema.getMutationType(), 'mutation'],
    [schema.getSubscriptionType(), 'subscription'],
  ] as const
  for (const [type, operation] of types) for (const name of Object.keys(type?.getFields() ?? {})) roots.set(name, operation as OperationTypeNode)
  return roots
}

/**
 * What is wrong with the API document against the schema: root operations with no `### name`
 * heading, headings that name no root operation (or repeat one), sections with no GraphQL example
 * that calls their operation, and GraphQL blocks that do not parse or validate.
 */
function apiDocProblems(schema: GraphQLSchema, markdown: string): string[] {
  const problems: string[] = []
  const roots = rootOperations(schema)
  const doc = sections(markdown)
  const seen = new Set<string>()
  for (const section of doc.sections) {
    if (!roots.has(section.heading)) problems.push(`stale heading: ### ${section.heading} (line ${section.line}) is not a root operation`)
    else if (seen.has(section.heading)) problems.push(`duplicate heading: ### ${section.heading} (line ${section.line})`)
    seen.add(section.heading)
  }
  for (const name of roots.keys()) if (!seen.has(name)) problems.push(`undocumented: ${roots.get(name)} ${name} has no ### ${name} heading`)

  const checkBlock = (block: { text: string; line: number }): Set<string> => {
    const called = new Set<string>()
    let document
    try {
      document = parse(block.text)
    } catch (error) {
      problems.push(`graphql block at line ${block.line} does not parse: ${(error as Error).message}`)
      return called
    }
    for (const error of validate(schema, document)) problems.push(`graphql block at line ${block.line} is invalid: ${error.message}`)
    for (const definition of document.definitions) {
      if (definition.kind !== Kind.OPERATION_DEFINITION) continue
      for (const selection of definition.selectionSet.selections) {
        if (selection.kind === Kind.FIELD) called.add(`${definition.operation} ${selection.name.value}`)
      }
    }
    return called
  }
  doc.looseGraphql.forEach(checkBlock)
  for (const section of doc.sections) {
    const called = new Set(section.graphql.flatMap((block) => [...checkBlock(block)]))
    const operation = roots.get(section.heading)
    if (operation && !called.has(`${operation} ${section.heading}`)) {
      problems.push(`no example: ### ${section.heading} (line ${section.line}) has no graphql block calling ${operation} ${section.heading}`)
    }
  }
  return problems
}

describe('docs/API.md', () => {
  it('has one section per root operation, each with an example that calls it, and every GraphQL block validates against the schema', () => {
    expect(apiDocProblems(buildSchema(sdl), apiDoc)).toEqual([])
  })

  it('reports missing, stale and duplicate headings, sections without their call, and blocks that do not parse or validate', () => {
    const schema = buildSchema(`
      type Query { a: Int b(id: ID!): Int }
      type Mutation { m: Int }
      type Subscription { s: Int }
    `)
    const markdown = [
      '# API', // 1
      '```graphql', // 2: outside any section, still checked
      '{ nope }',
      '```',
      '### a', // 5
      '```graphql',
      'query { a }',
      '```',
      '### `m`', // 9: backticks are stripped; the example calls a query, not the mutation
      '```graphql',
      '{ a }',
      '```',
      '```',
      '### s', // 14: inside a plain fence, so not a heading
      '```',
      '### gone', // 16
      '```graphql',
      '{ b(id: ',
      '```',
      '### a', // 20
      '```graphql',
      'query { a }',
      '```',
    ].join('\n')
    expect(apiDocProblems(schema, markdown)).toEqual([
      'stale heading: ### gone (line 16) is not a root operation',
      'duplicate heading: ### a (line 20)',
      'undocumented: query b has no ### b heading',
      'undocumented: subscription s has no ### s heading',
      'graphql block at line 2 is invalid: Cannot query field "nope" on type "Query".',
      'no example: ### m (line 9) has no graphql block calling mutation m',
      'graphql block at line 17 does not parse: Syntax Error: Unexpected <EOF>.',
    ])
  })
})
