import fc from 'fast-check'
import {
  buildSchema,
  getNamedType,
  isEnumType,
  isInputObjectType,
  isListType,
  isNonNullType,
  isObjectType,
  isScalarType,
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLNamedType,
  type GraphQLOutputType,
} from 'graphql'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { typeDefs } from '../../src/graphql/server.js'
import { readFixture, SEED_RULE_YAML } from '../helpers/fixtures.js'
import { FUZZ_TEST_TIMEOUT_MS, fuzzOptions } from '../helpers/fuzz.js'
import { createTestTenant } from '../helpers/tenant.js'
import { graphql, startTestService, type TestService } from '../helpers/test-service.js'
import { waitForUpload } from '../helpers/uploads.js'

/**
 * Fuzzing of the GraphQL API's inputs against the real service: every query and mutation of the
 * schema, read from the SDL (so a field added tomorrow is fuzzed tomorrow), called with random
 * variables — mostly of the declared types (real ids of the tenant's rows among random ones,
 * extreme numbers, hostile and huge strings, rule YAML, dates, JSON), sometimes of the wrong type —
 * by every kind of caller (each role, the operator, no key, a forged key). Every answer must be a
 * JSON GraphQL answer with HTTP status below 500, and every error must carry a specific
 * `extensions.code`: never INTERNAL_SERVER_ERROR, never none. FUZZ_RUNS raises the number of calls.
 */

const schema = buildSchema(typeDefs)
const SPECIFIC_CODES = ['BAD_USER_INPUT', 'GRAPHQL_VALIDATION_FAILED', 'GRAPHQL_PARSE_FAILED', 'BAD_REQUEST', 'NOT_FOUND', 'FORBIDDEN', 'UNAUTHENTICATED', 'CONFLICT', 'PAYLOAD_TOO_LARGE', 'RATE_LIMITED']
const OPERATOR_TOKEN = 'o'.repeat(40)

type Root = 'query' | 'mutation'
interface Operation {
  root: Root
  field: GraphQLField<unknown, unknown>
}

const OPERATIONS: Operation[] = [
  ...Object.values(schema.getQueryType()!.getFields()).map((field) => ({ root: 'query' as const, field })),
  ...Object.values(schema.getMutationType()!.getFields()).map((field) => ({ root: 'mutation' as const, field })),
]

/** A selection of the scalar fields of `type`, two levels deep, so field resolvers run too. */
function selectionOf(type: GraphQLOutputType, depth = 0): string {
  const named = getNamedType(type)
  if (!isObjectType(named)) return ''
  const parts = ['__typename']
  for (const f of Object.values(named.getFields())) {
    if (f.args.some((a) => isNonNullType(a.type))) continue
    const inner = getNamedType(f.type)
    if (isScalarType(inner) || isEnumType(inner)) parts.push(f.name)
    else if (depth < 1 && isObjectType(inner)) parts.push(`${f.name} ${selectionOf(f.type, depth + 1)}`)
  }
  return `{ ${parts.join(' ')} }`
}

const HOSTILE_STRINGS = [
  '', ' ', 'a', "'; DROP TABLE tenants; --", '%', '_', '\\', '"', '../../etc/passwd', '😀', 'İ', '\uFFFF', '\uD800', 'x'.repeat(10_000), 'null', 'undefined', '0', '-1',
  '00000000-0000-4000-8000-000000000000', 'not-a-uuid', '2026-01-01T00:00:00Z', '1970-01-01T00:00:00Z', '9999-12-31T23:59:59Z', 'T1059', 'T9999.999', 'ngrok.exe',
  Buffer.from('1772000000000|00000000-0000-4000-8000-000000000000').toString('base64url'), '{{{{', '<Event>', '| tstats count',
]

interface Pools {
  ids: string[]
}

/** Values of `type`: mostly well-typed (so the resolvers run), now and then of another type. */
function valueOf(type: GraphQLInputType, pools: Pools, depth = 0): fc.Arbitrary<unknown> {
  const wellTyped = typedValueOf(type, pools, depth)
  return fc.oneof({ arbitrary: wellTyped, weight: 9 }, { arbitrary: fc.jsonValue({ maxDepth: 2 }), weight: 1 })
}

function typedValueOf(type: GraphQLInputType, pools: Pools, depth: number): fc.Arbitrary<unknown> {
  if (isNonNullType(type)) return typedValueOf(type.ofType, pools, depth)
  if (isListType(type)) return fc.array(valueOf(type.ofType, pools, depth + 1), { maxLength: depth > 1 ? 1 : 4 })
  const named = type as GraphQLNamedType
  if (isEnumType(named)) return fc.oneof({ arbitrary: fc.constantFrom(...named.getValues().map((v) => v.name)), weight: 5 }, { arbitrary: fc.constantFrom('NOPE', 'new', ''), weight: 1 })
  if (isInputObjectType(named)) {
    const fields = Object.values(named.getFields())
    const shape = Object.fromEntries(fields.map((f) => [f.name, depth > 2 ? fc.constant(null) : valueOf(f.type, pools, depth + 1)]))
    const required = fields.filter((f) => isNonNullType(f.type)).map((f) => f.name)
    return fc.record(shape, { requiredKeys: required })
  }
  switch (named.name) {
    case 'ID':
      return fc.oneof({ arbitrary: fc.constantFrom(...pools.ids), weight: 3 }, { arbitrary: fc.constantFrom(...HOSTILE_STRINGS), weight: 1 }, { arbitrary: fc.uuid(), weight: 1 })
    case 'String':
      return fc.oneof(
        { arbitrary: fc.constantFrom(...HOSTILE_STRINGS), weight: 4 },
        { arbitrary: fc.string({ unit: 'grapheme', maxLength: 30 }), weight: 2 },
        { arbitrary: fc.constantFrom(SEED_RULE_YAML, SEED_RULE_YAML.replace('ngrok.exe', '`nosuch`'), SEED_RULE_YAML.slice(0, 700), 'name: x\ndefinition: search *\n'), weight: 1 },
      )
    case 'Int':
      return fc.oneof(fc.constantFrom(0, 1, -1, 2_147_483_647, -2_147_483_648, 2 ** 31, 2 ** 53, 1.5), fc.integer({ min: -1000, max: 1000 }))
    case 'Float':
      return fc.oneof(fc.double({ noNaN: true }), fc.constantFrom(0, -0, 1e308, -1e308))
    case 'Boolean':
      return fc.boolean()
    case 'DateTime':
      return fc.oneof(fc.constantFrom('2026-03-01T00:00:00Z', '2026-03-01', 'yesterday', '', '+275760-09-13T00:00:00.000Z', '1970-01-01T00:00:00.000Z', 0, -1), fc.date({ noInvalidDate: true }).map((d) => d.toISOString()))
    case 'JSON':
      return fc.jsonValue({ maxDepth: 3 })
    case 'Upload':
      return fc.constantFrom(null, 'file', {})
    default:
      throw new Error(`no fuzz values for the scalar ${named.name}: add them here`)
  }
}

const callArb = (pools: Pools) =>
  fc.oneof(
    ...OPERATIONS.map((op, index) =>
      fc.record({
        // The index, not the field object: a failing call prints readably.
        op: fc.constant(index),
        vars: fc.record(Object.fromEntries(op.field.args.map((a) => [a.name, valueOf(a.type, pools)])), { requiredKeys: op.field.args.filter((a) => isNonNullType(a.type)).map((a) => a.name) }),
        caller: fc.constantFrom('admin', 'admin', 'analyst', 'ingest', 'reader', 'operator', 'none', 'forged'),
      }),
    ),
  )

function documentOf(op: Operation): string {
  const decls = op.field.args.map((a) => `$${a.name}: ${a.type.toString()}`).join(', ')
  const args = op.field.args.map((a) => `${a.name}: $${a.name}`).join(', ')
  return `${op.root} Fuzz${decls ? `(${decls})` : ''} { ${op.field.name}${args ? `(${args})` : ''} ${selectionOf(op.field.type)} }`
}

describe('fuzzing the GraphQL inputs (every query and mutation, real service)', () => {
  let svc: TestService
  const keys: Record<string, string | null> = {}
  const pools: Pools = { ids: [] }

  beforeAll(async () => {
    svc = await startTestService({ env: { OPERATOR_TOKEN } })
    const tenant = await createTestTenant(svc.databaseUrl, 'fuzz')
    keys.admin = tenant.apiKey
    keys.operator = OPERATOR_TOKEN
    keys.none = null
    keys.forged = `wp_0123456789_${'x'.repeat(32)}`
    for (const role of ['analyst', 'ingest', 'reader']) {
      const created = await graphql<{ createApiKey: { key: string } }>(svc.url, tenant.apiKey, 'mutation ($n: String!, $r: ApiKeyRole!) { createApiKey(name: $n, role: $r) { key } }', { n: role, r: role })
      keys[role] = created.data!.createApiKey.key
    }
    // Rows for real ids to point at: a rule, an upload with detections, a comment's detection.
    await graphql(svc.url, tenant.apiKey, 'mutation ($y: String!) { importRules(yaml: $y) { rules { id } } }', { y: SEED_RULE_YAML })
    const res = await fetch(`${svc.url}/v1/uploads?fileName=ngrok.xml`, { method: 'POST', headers: { authorization: `Bearer ${tenant.apiKey}` }, body: readFixture('logs/sysmon/ngrok-synthetic.xml') })
    const { upload } = (await res.json()) as { upload: { id: string } }
    await waitForUpload(svc.url, tenant.apiKey, upload.id)
    const ids = await graphql<Record<string, { id: string }[] | { edges: { node: { id: string } }[] }>>(
      svc.url,
      tenant.apiKey,
      '{ rules { id } uploads { edges { node { id } } } detections { edges { node { id } } } riskIncidentRules { id } riskIncidents { edges { node { id } } } }',
    )
    expect(ids.errors).toBeUndefined()
    for (const value of Object.values(ids.data!)) pools.ids.push(...(Array.isArray(value) ? value : value.edges.map((e) => e.node)).map((n) => n.id))
    expect(pools.ids.length).toBeGreaterThan(5)
  })
  afterAll(async () => {
    await svc?.close()
  })

  it('answers every call with a specific error code or data, never a 500 or INTERNAL_SERVER_ERROR', async () => {
    const seen = new Map<string, number>()
    await fc.assert(
      fc.asyncProperty(callArb(pools), async ({ op, vars, caller }) => {
        const query = documentOf(OPERATIONS[op]!)
        const key = keys[caller] ?? null
        const res = await fetch(`${svc.url}/graphql`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) },
          body: JSON.stringify({ query, variables: vars }),
        })
        const text = await res.text()
        const what = `${caller} ${query} ${JSON.stringify(vars).slice(0, 500)} → ${res.status} ${text.slice(0, 800)}`
        expect(res.status, what).toBeLessThan(500)
        const body = JSON.parse(text) as { data?: unknown; errors?: { message: string; extensions?: { code?: string } }[] }
        for (const e of body.errors ?? []) {
          expect(SPECIFIC_CODES, what).toContain(e.extensions?.code)
          expect(e.message.length, what).toBeGreaterThan(0)
          seen.set(e.extensions!.code!, (seen.get(e.extensions!.code!) ?? 0) + 1)
        }
        if (!body.errors) seen.set('data', (seen.get('data') ?? 0) + 1)
      }),
      fuzzOptions(400),
    )
    // The calls reached the resolvers: some succeeded, some were refused for what they asked.
    expect(seen.get('data') ?? 0).toBeGreaterThan(10)
    expect(seen.get('BAD_USER_INPUT') ?? 0).toBeGreaterThan(10)
    expect((seen.get('FORBIDDEN') ?? 0) + (seen.get('NOT_FOUND') ?? 0)).toBeGreaterThan(5)
  }, FUZZ_TEST_TIMEOUT_MS)
})
