import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import {
  buildSchema,
  getNamedType,
  GraphQLEnumType,
  GraphQLInputObjectType,
  GraphQLList,
  GraphQLNonNull,
  GraphQLScalarType,
  type GraphQLInputType,
} from 'graphql'
import { describe, expect, it } from 'vitest'
import { auditEvent } from '../../../src/audit/audit-event.js'
import { OPERATION_AUDITS, isAuditedOperation, type AuditedOperation } from '../../../src/audit/operation-summaries.js'

// The audit log's allow-list: one decision per mutation of the schema, and whatever a caller
// sends or a resolver returns, a summary stays small and holds no key, hash or file body.

const schema = buildSchema(readFileSync(new URL('../../../src/graphql/schema.graphql', import.meta.url), 'utf8'))
const mutations = Object.values(schema.getMutationType()!.getFields())
const operations = Object.keys(OPERATION_AUDITS) as AuditedOperation[]

const SECRET_KEY = 'wp_abcdefghij_SECRETsecretSECRETsecretSECRETsecret42'
const KEY_HASH = createHash('sha256').update(SECRET_KEY).digest('hex')
/** Arguments that carry documents or files: their text must never reach a record. */
const BODY_ARGUMENTS = new Set(['yaml', 'data', 'log', 'body', 'comment'])
const BODY = 'BODY-' + 'line of a log or YAML document\n'.repeat(3000)
const LONG = 'n'.repeat(10_000)
const UUID = '6f1c2b0e-4d3a-4b5c-8d7e-9f0a1b2c3d4e'

/** A worst-case value for an argument of the schema: huge strings, long lists. */
function worstValue(type: GraphQLInputType, name: string): unknown {
  if (type instanceof GraphQLNonNull) return worstValue(type.ofType, name)
  if (type instanceof GraphQLList) return Array.from({ length: 500 }, () => worstValue(type.ofType, name))
  if (type instanceof GraphQLInputObjectType) return Object.fromEntries(Object.values(type.getFields()).map((f) => [f.name, worstValue(f.type, f.name)]))
  if (type instanceof GraphQLEnumType) return type.getValues()[0]!.value
  const scalar = getNamedType(type) as GraphQLScalarType
  if (scalar.name === 'Upload') return Promise.resolve({ filename: LONG, createReadStream: () => BODY })
  if (scalar.name === 'Int' || scalar.name === 'Float') return 7
  if (scalar.name === 'Boolean') return true
  if (scalar.name === 'DateTime') return new Date('2030-01-01T00:00:00Z')
  return BODY_ARGUMENTS.has(name) ? BODY : LONG
}

/** A result as large and as full of secrets as any resolver could return. */
const WORST_RESULT = {
  id: LONG,
  key: SECRET_KEY,
  apiKey: { id: UUID, hash: KEY_HASH, prefix: 'abcdefghij' },
  tenant: { id: UUID, name: LONG },
  rules: Array.from({ length: 500 }, () => ({ id: LONG, yaml: BODY })),
  macros: Array.from({ length: 500 }, () => LONG),
  errors: Array.from({ length: 500 }, () => ({ message: BODY })),
  inserted: 3,
  updated: 4,
  fileName: LONG,
  sizeBytes: 123456789n,
  yaml: BODY,
  hash: KEY_HASH,
}

describe('the audit allow-list', () => {
  it('has exactly one entry per mutation of the schema (a new mutation needs a decision)', () => {
    expect(operations.slice().sort()).toEqual(mutations.map((m) => m.name).sort())
    expect(isAuditedOperation('createApiKey')).toBe(true)
    expect(isAuditedOperation('toString')).toBe(false)
  })

  it.each(mutations.map((m) => [m.name, m] as const))('%s: a summary of the worst call is small and holds no key, hash or body', (name, field) => {
    const args = Object.fromEntries(field.args.map((a) => [a.name, worstValue(a.type, a.name)]))
    for (const result of [WORST_RESULT, undefined, [WORST_RESULT, WORST_RESULT]]) {
      const json = JSON.stringify(auditEvent({ tenantId: null, keyId: null, role: 'operator' }, name as AuditedOperation, args, result, 'SUCCESS'))
      expect(json.length, json.slice(0, 300)).toBeLessThan(8_000)
      expect(json).not.toContain('BODY-')
      expect(json).not.toContain('SECRET')
      expect(json).not.toContain(KEY_HASH)
      expect(json).not.toContain('n'.repeat(201))
    }
  })

  it('copes with arguments that never passed validation (wrong types, missing values)', () => {
    for (const op of operations) {
      for (const args of [{}, { id: 42, name: { nested: true }, yaml: ['a'], fixtures: 'x', escuIds: 5, file: null, days: 'x' }]) {
        expect(() => auditEvent({ tenantId: UUID, keyId: UUID, role: 'admin' }, op, args, undefined, 'BAD_USER_INPUT')).not.toThrow()
      }
    }
  })

  it('keeps what identifies a call: names, ids, counts, and size and SHA-256 instead of text', () => {
    const yaml = 'name: a\n---\nname: b\n'
    const rules = auditEvent({ tenantId: UUID, keyId: UUID, role: 'analyst' }, 'importRules', { yaml }, { rules: [{ id: 'r1' }], macros: [], errors: [{}] }, 'SUCCESS')
    expect(rules.summary).toEqual({
      yaml: { bytes: Buffer.byteLength(yaml), sha256: createHash('sha256').update(yaml).digest('hex') },
      rulesImported: 1,
      ruleIds: ['r1'],
      macrosImported: 0,
      documentErrors: 1,
    })
    const key = auditEvent({ tenantId: UUID, keyId: null, role: 'cli' }, 'createApiKey', { name: 'ci', role: 'ingest', expiresAt: new Date('2030-01-01T00:00:00Z') }, { apiKey: { id: 'k1' }, key: SECRET_KEY }, 'SUCCESS')
    expect(key).toEqual({ tenantId: UUID, actorKeyId: null, actorRole: 'cli', operation: 'createApiKey', summary: { name: 'ci', role: 'ingest', expiresAt: '2030-01-01T00:00:00.000Z', apiKeyId: 'k1' }, outcome: 'SUCCESS' })
    const upload = auditEvent({ tenantId: UUID, keyId: UUID, role: 'ingest' }, 'uploadLogs', { via: 'http', fileName: 'a.xml', contentLength: 10 }, { id: 'u1', fileName: 'a.xml', sizeBytes: 10n }, 'SUCCESS')
    expect(upload.summary).toEqual({ via: 'http', fileName: 'a.xml', sizeBytes: 10, contentLength: 10, uploadId: 'u1' })
  })

  it('records operator actions against the tenant acted on, and none when it does not exist', () => {
    const operator = { tenantId: null, keyId: null, role: 'operator' } as const
    expect(auditEvent(operator, 'createTenant', { name: 'acme' }, { tenant: { id: UUID }, apiKey: SECRET_KEY }, 'SUCCESS')).toMatchObject({ tenantId: UUID, summary: { name: 'acme' } })
    expect(auditEvent(operator, 'createTenant', { name: 'acme' }, undefined, 'CONFLICT').tenantId).toBeNull()
    expect(auditEvent(operator, 'suspendTenant', { id: UUID }, undefined, 'SUCCESS').tenantId).toBe(UUID)
    expect(auditEvent(operator, 'suspendTenant', { id: UUID }, undefined, 'NOT_FOUND').tenantId).toBeNull()
    expect(auditEvent(operator, 'deleteTenant', { id: 'not-a-uuid' }, undefined, 'NOT_FOUND').tenantId).toBeNull()
    // A tenant key is recorded in its own tenant, whatever it aimed at.
    expect(auditEvent({ tenantId: 'mine', keyId: 'k', role: 'admin' }, 'suspendTenant', { id: UUID }, undefined, 'FORBIDDEN').tenantId).toBe('mine')
  })
})
