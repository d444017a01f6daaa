import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { keySecret, readFixture, SEED_RULE_YAML } from '../helpers/fixtures.js'
import { runCli } from '../helpers/run-cli.js'
import { graphql, startTestService, type TestService } from '../helpers/test-service.js'
import { uploadMultipart } from '../helpers/uploads.js'

// The audit log: every mutation attempt — GraphQL, POST /v1/uploads, the CLI, refused keys — is
// recorded with who, what, when and outcome; only the tenant's admins read it; no record ever
// holds a key, a key hash or a file body.

const OPERATOR = 'op-' + 'z'.repeat(40)
const NOWHERE = '00000000-0000-4000-8000-0000000000aa'
const EVENT = 'id occurredAt actorKeyId actorRole operation summary outcome'

interface AuditEvent {
  id: string
  occurredAt: string
  actorKeyId: string | null
  actorRole: string
  operation: string
  summary: Record<string, unknown>
  outcome: string
}

describe('audit log', () => {
  let svc: TestService
  let db: pg.Client
  let tenantA: { id: string; adminKey: string; adminKeyId: string }
  let tenantB: { id: string; adminKey: string }
  const keys: Record<string, { key: string; id: string }> = {}
  const op = <T = any>(query: string, variables?: Record<string, unknown>) => graphql<T>(svc.url, OPERATOR, query, variables)
  const asA = <T = any>(query: string, variables?: Record<string, unknown>) => graphql<T>(svc.url, tenantA.adminKey, query, variables)

  /** The whole log of a tenant as its admin sees it, newest first. */
  async function auditLog(adminKey: string, filter: Record<string, unknown> = {}): Promise<AuditEvent[]> {
    const res = await graphql<any>(svc.url, adminKey, `query ($f: AuditLogFilter) { auditLog(first: 200, filter: $f) { edges { node { ${EVENT} } } pageInfo { hasNextPage } } }`, { f: filter })
    expect(res.errors).toBeUndefined()
    expect(res.data.auditLog.pageInfo.hasNextPage).toBe(false)
    return res.data.auditLog.edges.map((e: { node: AuditEvent }) => e.node)
  }
  const latest = async (adminKey: string, operation: string): Promise<AuditEvent> => (await auditLog(adminKey, { operation }))[0]!

  beforeAll(async () => {
    svc = await startTestService({ env: { OPERATOR_TOKEN: OPERATOR } })
    db = new pg.Client({ connectionString: svc.databaseUrl })
    await db.connect()
    const created = async (name: string) => (await op(`mutation { createTenant(name: "${name}") { tenant { id } apiKey } }`)).data.createTenant
    const a = await created('audit-a')
    const b = await created('audit-b')
    const adminKeyId = (await graphql<any>(svc.url, a.apiKey, '{ apiKeys { id } }')).data.apiKeys[0].id
    tenantA = { id: a.tenant.id, adminKey: a.apiKey, adminKeyId }
    tenantB = { id: b.tenant.id, adminKey: b.apiKey }
    for (const role of ['analyst', 'reader', 'ingest']) {
      const res = await asA(`mutation { createApiKey(name: "${role} key", role: ${role}) { key apiKey { id } } }`)
      keys[role] = { key: res.data.createApiKey.key, id: res.data.createApiKey.apiKey.id }
    }
  })
  afterAll(async () => {
    await db?.end()
    await svc?.close()
  })

  it('records a mutation with the key, its role, the operation, the time and SUCCESS', async () => {
    const before = Date.now()
    const res = await asA('mutation { createApiKey(name: "ci uploader", role: ingest, expiresAt: "2040-01-01T00:00:00Z") { apiKey { id } } }')
    expect(res.errors).toBeUndefined()
    const event = await latest(tenantA.adminKey, 'createApiKey')
    expect(event).toMatchObject({
      actorKeyId: tenantA.adminKeyId,
      actorRole: 'admin',
      operation: 'createApiKey',
      outcome: 'SUCCESS',
      summary: { name: 'ci uploader', role: 'ingest', expiresAt: '2040-01-01T00:00:00.000Z', apiKeyId: res.data.createApiKey.apiKey.id },
    })
    expect(Date.parse(event.occurredAt)).toBeGreaterThanOrEqual(before - 1000)
    expect(Date.parse(event.occurredAt)).toBeLessThanOrEqual(Date.now() + 1000)
  })

  it('records failures with the code the caller got', async () => {
    const analyst = keys.analyst!
    const notFound = await graphql(svc.url, analyst.key, `mutation { deleteRule(id: "${NOWHERE}") }`)
    expect(notFound.errors?.[0]?.extensions?.code).toBe('NOT_FOUND')
    expect(await latest(tenantA.adminKey, 'deleteRule')).toMatchObject({ actorKeyId: analyst.id, actorRole: 'analyst', outcome: 'NOT_FOUND', summary: { id: NOWHERE } })

    const forbidden = await graphql(svc.url, keys.reader!.key, 'mutation ($y: String!) { importRules(yaml: $y) { errors { message } } }', { y: SEED_RULE_YAML })
    expect(forbidden.errors?.[0]?.extensions?.code).toBe('FORBIDDEN')
    const rejected = await latest(tenantA.adminKey, 'importRules')
    expect(rejected).toMatchObject({ actorKeyId: keys.reader!.id, actorRole: 'reader', outcome: 'FORBIDDEN' })
    expect(rejected.summary).toEqual({ yaml: { bytes: Buffer.byteLength(SEED_RULE_YAML), sha256: expect.stringMatching(/^[0-9a-f]{64}$/) } })

    const badInput = await asA('mutation { createApiKey(name: "old", role: reader, expiresAt: "2000-01-01T00:00:00Z") { key } }')
    expect(badInput.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT')
    expect(await latest(tenantA.adminKey, 'createApiKey')).toMatchObject({ outcome: 'BAD_USER_INPUT', summary: { name: 'old', role: 'reader' } })
  })

  it('records requests that failed before any resolver ran, and root fields an earlier failure stopped', async () => {
    // Variables that do not coerce (graphql-js answers BAD_USER_INPUT for the whole request).
    const badVariable = await asA('mutation ($r: ApiKeyRole!) { createApiKey(name: "v", role: $r) { key } }', { r: 'superuser' })
    expect(badVariable.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT')
    expect(await latest(tenantA.adminKey, 'createApiKey')).toMatchObject({ outcome: 'BAD_USER_INPUT', summary: { name: 'v', role: 'superuser' } })
    // An invalid document.
    const invalid = await asA(`mutation { revokeApiKey(id: "${NOWHERE}") { nope } }`)
    expect(invalid.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED')
    expect(await latest(tenantA.adminKey, 'revokeApiKey')).toMatchObject({ outcome: 'GRAPHQL_VALIDATION_FAILED', summary: { id: NOWHERE } })
    // deleteUpload returns ID!: the first failure ends the request, so the second never runs.
    const two = await asA(`mutation { first: deleteUpload(id: "${NOWHERE}") second: deleteUpload(id: "u-2") }`)
    expect(two.data).toBeNull()
    const [second, first] = await auditLog(tenantA.adminKey, { operation: 'deleteUpload' })
    expect(first).toMatchObject({ outcome: 'NOT_FOUND', summary: { id: NOWHERE } })
    expect(second).toMatchObject({ outcome: 'NOT_EXECUTED', summary: { id: 'u-2' } })
  })

  it('records refused keys that name the tenant, and nothing for callers that name none', async () => {
    const temp = (await asA('mutation { createApiKey(name: "temp", role: analyst) { key apiKey { id } } }')).data.createApiKey
    await asA(`mutation { revokeApiKey(id: "${temp.apiKey.id}") { id } }`)
    const refused = await graphql(svc.url, temp.key, 'mutation { setRuleEnabled(id: "r", enabled: false) { id } }')
    expect(refused.errors?.[0]).toMatchObject({ message: 'invalid or expired API key', extensions: { code: 'UNAUTHENTICATED' } })
    expect(JSON.stringify(refused)).not.toContain('revoked')
    expect(await latest(tenantA.adminKey, 'setRuleEnabled')).toMatchObject({
      actorKeyId: temp.apiKey.id,
      actorRole: 'analyst',
      outcome: 'UNAUTHENTICATED',
      summary: { id: 'r', enabled: false, keyRefused: 'revoked' },
    })
    // The right prefix with a made-up secret: someone guessing at one of the tenant's keys.
    const guessed = temp.key.slice(0, 'wp_'.length + 10 + 1) + 'G'.repeat(32)
    await graphql(svc.url, guessed, `mutation { deleteRule(id: "${NOWHERE}") }`)
    expect(await latest(tenantA.adminKey, 'deleteRule')).toMatchObject({ actorKeyId: temp.apiKey.id, outcome: 'UNAUTHENTICATED', summary: { keyRefused: 'wrong secret' } })

    const count = async () => (await db.query('SELECT count(*)::int AS n FROM audit_events')).rows[0].n as number
    const before = await count()
    await graphql(svc.url, null, 'mutation { deleteRule(id: "x") }')
    await graphql(svc.url, 'wp_zzzzzzzzzz_' + 'G'.repeat(32), 'mutation { deleteRule(id: "x") }')
    await graphql(svc.url, OPERATOR + 'wrong', 'mutation { deleteRule(id: "x") }')
    await asA('{ rules { id } }')
    expect(await count()).toBe(before)
  })

  it('records uploads over GraphQL and POST /v1/uploads with file name and size, refused ones too', async () => {
    const log = readFixture('logs/sysmon/ngrok-synthetic.xml')
    const gql = await uploadMultipart(svc.url, keys.ingest!.key, 'sysmon.xml', log)
    expect(gql.errors).toBeUndefined()
    expect(await latest(tenantA.adminKey, 'uploadLogs')).toMatchObject({
      actorKeyId: keys.ingest!.id,
      actorRole: 'ingest',
      outcome: 'SUCCESS',
      summary: { fileName: 'sysmon.xml', sizeBytes: log.length, uploadId: gql.data!.uploadLogs.id },
    })
    const post = (key: string) => fetch(`${svc.url}/v1/uploads?fileName=rest.xml`, { method: 'POST', headers: { authorization: `Bearer ${key}` }, body: log })
    const ok = await post(keys.ingest!.key)
    expect(ok.status).toBe(202)
    const { upload } = (await ok.json()) as { upload: { id: string } }
    expect(await latest(tenantA.adminKey, 'uploadLogs')).toMatchObject({
      actorKeyId: keys.ingest!.id,
      outcome: 'SUCCESS',
      summary: { via: 'http', fileName: 'rest.xml', sizeBytes: log.length, contentLength: log.length, uploadId: upload.id },
    })
    const refused = await post(keys.reader!.key)
    expect(refused.status).toBe(403)
    await refused.text()
    expect(await latest(tenantA.adminKey, 'uploadLogs')).toMatchObject({ actorKeyId: keys.reader!.id, outcome: 'FORBIDDEN', summary: { via: 'http', fileName: 'rest.xml', contentLength: log.length } })
  })

  it('records the operator’s tenant management in the tenant’s log', async () => {
    expect((await op(`mutation { suspendTenant(id: "${tenantB.id}") { status } }`)).errors).toBeUndefined()
    expect((await op(`mutation { resumeTenant(id: "${tenantB.id}") { status } }`)).errors).toBeUndefined()
    const bLog = await auditLog(tenantB.adminKey)
    expect(bLog.slice(0, 3).map((e) => [e.operation, e.actorRole, e.actorKeyId, e.outcome])).toEqual([
      ['resumeTenant', 'operator', null, 'SUCCESS'],
      ['suspendTenant', 'operator', null, 'SUCCESS'],
      ['createTenant', 'operator', null, 'SUCCESS'],
    ])
    expect(bLog[2]!.summary).toEqual({ name: 'audit-b' })
    // An operator action on no tenant is kept, with no tenant, where no tenant admin reads it.
    await op(`mutation { suspendTenant(id: "${NOWHERE}") { id } }`)
    const { rows } = await db.query("SELECT tenant_id, actor_role, outcome FROM audit_events WHERE operation = 'suspendTenant' AND outcome = 'NOT_FOUND'")
    expect(rows).toEqual([{ tenant_id: null, actor_role: 'operator', outcome: 'NOT_FOUND' }])
  })

  it('records CLI mutations as done by `cli`', async () => {
    const { code, stdout } = await runCli(['apikey', 'create', '--tenant', 'audit-a', '--name', 'from the shell', '--role', 'reader', '--json'], { env: { DATABASE_URL: svc.databaseUrl } })
    expect(code).toBe(0)
    const created = JSON.parse(stdout) as { id: string; apiKey: string }
    keys.cli = { key: created.apiKey, id: created.id }
    expect(await latest(tenantA.adminKey, 'createApiKey')).toMatchObject({ actorKeyId: null, actorRole: 'cli', outcome: 'SUCCESS', summary: { name: 'from the shell', role: 'reader', apiKeyId: created.id } })
  })

  it('lets only admin keys read the log; tenant B never sees tenant A’s events', async () => {
    for (const key of [keys.analyst!.key, keys.reader!.key, keys.ingest!.key, OPERATOR]) {
      expect((await graphql(svc.url, key, `{ auditLog { edges { node { id } } } }`)).errors?.[0]?.extensions?.code).toBe('FORBIDDEN')
    }
    const aIds = new Set((await auditLog(tenantA.adminKey)).map((e) => e.id))
    const bLog = await auditLog(tenantB.adminKey)
    expect(bLog.length).toBeGreaterThan(0)
    expect(bLog.filter((e) => aIds.has(e.id))).toEqual([])
    const aKeyIds = [tenantA.adminKeyId, ...Object.values(keys).map((k) => k.id)]
    expect(aKeyIds.filter((id) => JSON.stringify(bLog).includes(id))).toEqual([])
    expect(JSON.stringify(bLog)).not.toContain(tenantA.id)
  })

  it('never stores a key, its secret or hash, a YAML document or a file body', async () => {
    await asA('mutation ($y: String!) { importRules(yaml: $y) { rules { id } } }', { y: SEED_RULE_YAML })
    const { rows: hashes } = await db.query<{ hash: string }>('SELECT hash FROM api_keys')
    const { rows } = await db.query<{ row: string }>('SELECT row_to_json(a)::text AS row FROM audit_events a')
    const everything = rows.map((r) => r.row).join('\n')
    expect(rows.length).toBeGreaterThan(20)
    const secrets = [tenantA.adminKey, tenantB.adminKey, ...Object.values(keys).map((k) => k.key)]
    expect(secrets.length).toBe(6)
    for (const key of secrets) expect(everything).not.toContain(keySecret(key))
    for (const { hash } of hashes) expect(everything).not.toContain(hash)
    expect(everything).not.toContain('ngrok.exe') // in the rule's YAML and in the uploaded log
    expect(everything).not.toContain('<Event')
  })

  it('pages newest first with cursors, filters, and caps the page size', async () => {
    const all = await auditLog(tenantA.adminKey)
    const times = all.map((e) => Date.parse(e.occurredAt))
    expect(times).toEqual([...times].sort((x, y) => y - x))
    const seen: string[] = []
    let after: string | null = null
    for (;;) {
      const res: any = await asA(`query ($after: String) { auditLog(first: 4, after: $after) { edges { cursor node { id } } pageInfo { hasNextPage endCursor } } }`, { after })
      seen.push(...res.data.auditLog.edges.map((e: { node: { id: string } }) => e.node.id))
      if (!res.data.auditLog.pageInfo.hasNextPage) break
      after = res.data.auditLog.pageInfo.endCursor
    }
    expect(seen).toEqual(all.map((e) => e.id))
    expect((await auditLog(tenantA.adminKey, { outcome: 'FORBIDDEN' })).every((e) => e.outcome === 'FORBIDDEN')).toBe(true)
    const middle = all[Math.floor(all.length / 2)]!.occurredAt
    expect((await auditLog(tenantA.adminKey, { since: middle })).every((e) => e.occurredAt >= middle)).toBe(true)
    expect((await auditLog(tenantA.adminKey, { until: middle })).every((e) => e.occurredAt < middle)).toBe(true)
    expect((await asA('{ auditLog(first: 201) { edges { cursor } } }')).errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'first' })
    expect((await asA('{ auditLog(after: "bm9wZQ") { edges { cursor } } }')).errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'after' })
  })

  it('answers a mutation whose record cannot be written as if nothing happened to the log', async () => {
    await db.query('ALTER TABLE audit_events RENAME TO audit_events_away')
    try {
      const res = await asA('mutation { createApiKey(name: "unlogged", role: reader) { apiKey { id } } }')
      expect(res.errors).toBeUndefined()
      expect(res.data.createApiKey.apiKey.id).toMatch(/^[0-9a-f-]{36}$/)
    } finally {
      await db.query('ALTER TABLE audit_events_away RENAME TO audit_events')
    }
    expect((await auditLog(tenantA.adminKey, { operation: 'createApiKey' })).some((e) => e.summary.name === 'unlogged')).toBe(false)
  })

  it('purges a deleted tenant’s log, keeping the record of its deletion', async () => {
    expect((await op(`mutation { deleteTenant(id: "${tenantB.id}") }`)).data.deleteTenant).toBe(tenantB.id)
    const { rows } = await db.query('SELECT operation, actor_role, outcome FROM audit_events WHERE tenant_id = $1', [tenantB.id])
    expect(rows).toEqual([{ operation: 'deleteTenant', actor_role: 'operator', outcome: 'SUCCESS' }])
  })
})
