import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import pg from 'pg'
import { keySecret, readFixture, SEED_RULE_YAML } from '../helpers/fixtures.js'
import { graphql, startTestService, type TestService } from '../helpers/test-service.js'
import { uploadMultipart, waitForUpload } from '../helpers/uploads.js'

// Identity: the operator credential manages tenants; each tenant's admin manages its keys; roles
// limit what a key may do; suspended tenants and revoked or expired keys stop at once.

const OPERATOR = 'op-' + 'x'.repeat(40)

describe('tenants and API keys', () => {
  let svc: TestService
  let tenantId: string
  let adminKey: string
  const op = <T = any>(query: string, variables?: Record<string, unknown>) => graphql<T>(svc.url, OPERATOR, query, variables)

  beforeAll(async () => {
    svc = await startTestService({ env: { OPERATOR_TOKEN: OPERATOR } })
  })
  afterAll(async () => {
    await svc?.close()
  })

  it('lets the operator create and list tenants, and nobody else', async () => {
    const created = await op('mutation { createTenant(name: "acme") { tenant { id name status } apiKey } }')
    expect(created.errors).toBeUndefined()
    expect(created.data.createTenant.tenant).toMatchObject({ name: 'acme', status: 'ACTIVE' })
    tenantId = created.data.createTenant.tenant.id
    adminKey = created.data.createTenant.apiKey
    expect((await op('{ tenants { name } }')).data.tenants).toEqual([{ name: 'acme' }])
    const asTenant = await graphql(svc.url, adminKey, '{ tenants { name } }')
    expect(asTenant.errors?.[0]?.extensions?.code).toBe('FORBIDDEN')
    const anonymous = await graphql(svc.url, null, 'mutation { createTenant(name: "evil") { apiKey } }')
    expect(anonymous.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED')
    const wrong = await graphql(svc.url, OPERATOR + 'y', '{ tenants { name } }')
    expect(wrong.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED')
    const tenantData = await op('{ rules { id } }')
    expect(tenantData.errors?.[0]?.extensions?.code).toBe('FORBIDDEN')
  })

  it('lets a tenant admin create keys of each role, shown once and stored as hashes', async () => {
    const res = await graphql<any>(svc.url, adminKey, 'mutation { createApiKey(name: "ci uploader", role: ingest) { key apiKey { id name prefix role revokedAt } } }')
    expect(res.errors).toBeUndefined()
    const { key, apiKey } = res.data.createApiKey
    expect(key).toMatch(new RegExp(`^wp_${apiKey.prefix}_`))
    expect(apiKey).toMatchObject({ name: 'ci uploader', role: 'ingest', revokedAt: null })
    const listed = await graphql<any>(svc.url, adminKey, '{ apiKeys { name role prefix } }')
    expect(listed.data.apiKeys.map((k: { name: string }) => k.name)).toEqual(['ci uploader', 'initial admin key'])
    expect(JSON.stringify(listed)).not.toContain(keySecret(key))
    const client = new pg.Client({ connectionString: svc.databaseUrl })
    await client.connect()
    const { rows } = await client.query('SELECT hash FROM api_keys WHERE id = $1', [apiKey.id])
    await client.end()
    expect(rows[0].hash).toMatch(/^[0-9a-f]{64}$/)
    expect(rows[0].hash).not.toContain(key)
    const bad = await graphql(svc.url, adminKey, 'mutation { createApiKey(name: "old", role: reader, expiresAt: "2000-01-01T00:00:00Z") { key } }')
    expect(bad.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'expiresAt' })
  })

  it('enforces roles: ingest only uploads, reader only reads, only admins manage keys', async () => {
    const mk = async (role: string) => (await graphql<any>(svc.url, adminKey, `mutation { createApiKey(name: "${role} key", role: ${role}) { key } }`)).data.createApiKey.key as string
    const [ingest, reader, analyst] = [await mk('ingest'), await mk('reader'), await mk('analyst')]
    expect((await graphql(svc.url, ingest, '{ rules { id } }')).errors?.[0]?.extensions?.code).toBe('FORBIDDEN')
    const upload = await uploadMultipart(svc.url, ingest, 'x.xml', readFixture('logs/sysmon/ngrok-synthetic.xml'))
    expect(upload.errors).toBeUndefined()
    expect((await waitForUpload(svc.url, ingest, upload.data!.uploadLogs.id)).status).toBe('SUCCEEDED_WITH_ERRORS')
    expect((await graphql(svc.url, reader, '{ rules { id } }')).errors).toBeUndefined()
    const readerImport = await graphql(svc.url, reader, 'mutation ($y: String!) { importRules(yaml: $y) { rules { id } } }', { y: SEED_RULE_YAML })
    expect(readerImport.errors?.[0]?.extensions?.code).toBe('FORBIDDEN')
    expect((await graphql(svc.url, analyst, 'mutation ($y: String!) { importRules(yaml: $y) { rules { id } } }', { y: SEED_RULE_YAML })).errors).toBeUndefined()
    expect((await graphql(svc.url, analyst, '{ apiKeys { id } }')).errors?.[0]?.extensions?.code).toBe('FORBIDDEN')
  })

  it('stops a revoked key at once', async () => {
    const created = await graphql<any>(svc.url, adminKey, 'mutation { createApiKey(name: "temp", role: reader) { key apiKey { id } } }')
    const { key, apiKey } = created.data.createApiKey
    expect((await graphql(svc.url, key, '{ rules { id } }')).errors).toBeUndefined()
    const revoked = await graphql<any>(svc.url, adminKey, 'mutation ($id: ID!) { revokeApiKey(id: $id) { id revokedAt } }', { id: apiKey.id })
    expect(revoked.data.revokeApiKey.revokedAt).not.toBeNull()
    expect((await graphql(svc.url, key, '{ rules { id } }')).errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED')
  })

  it('suspends and resumes a tenant, then purges it with everything it owns', async () => {
    expect((await op('mutation ($id: ID!) { suspendTenant(id: $id) { status } }', { id: tenantId })).data.suspendTenant.status).toBe('SUSPENDED')
    expect((await graphql(svc.url, adminKey, '{ rules { id } }')).errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED')
    expect((await op('mutation ($id: ID!) { resumeTenant(id: $id) { status } }', { id: tenantId })).data.resumeTenant.status).toBe('ACTIVE')
    expect((await graphql(svc.url, adminKey, '{ rules { id } }')).errors).toBeUndefined()
    expect((await op('mutation ($id: ID!) { deleteTenant(id: $id) }', { id: tenantId })).data.deleteTenant).toBe(tenantId)
    const client = new pg.Client({ connectionString: svc.databaseUrl })
    await client.connect()
    const counts = await client.query(
      `SELECT (SELECT count(*) FROM process_events)::int AS events, (SELECT count(*) FROM detections)::int AS detections,
              (SELECT count(*) FROM risk_events)::int AS risk, (SELECT count(*) FROM upload_chunks)::int AS chunks,
              (SELECT count(*) FROM api_keys)::int AS keys, (SELECT count(*) FROM rules)::int AS rules`,
    )
    await client.end()
    expect(counts.rows[0]).toEqual({ events: 0, detections: 0, risk: 0, chunks: 0, keys: 0, rules: 0 })
    expect((await op('mutation ($id: ID!) { deleteTenant(id: $id) }', { id: tenantId })).errors?.[0]?.extensions?.code).toBe('NOT_FOUND')
  })
})
