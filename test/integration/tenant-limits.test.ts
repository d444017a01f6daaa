import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runCli } from '../helpers/run-cli.js'
import { createTestTenant } from '../helpers/tenant.js'
import { startTestService, type TestService } from '../helpers/test-service.js'
import { uploadMultipart } from '../helpers/uploads.js'

/**
 * Request size limits: each tenant's own upload limit (set with `watchpost tenant limits`)
 * overriding MAX_UPLOAD_BYTES in either direction, on both upload routes, and the JSON body
 * limit of /graphql. Every refusal is PAYLOAD_TOO_LARGE with the limit, and stores nothing.
 */

const GLOBAL_LIMIT = 10_000

describe('per-tenant upload limits and request body limits', () => {
  let svc: TestService
  let db: pg.Pool
  let smallKey: string
  let plainKey: string
  const cli = (...args: string[]) => runCli(['tenant', 'limits', ...args], { env: { DATABASE_URL: svc.databaseUrl, MAX_UPLOAD_BYTES: String(GLOBAL_LIMIT) } })

  const rest = async (key: string, bytes: number) => {
    const res = await fetch(`${svc.url}/v1/uploads?fileName=x.xml`, { method: 'POST', headers: { authorization: `Bearer ${key}` }, body: Buffer.alloc(bytes, 0x41) })
    return { status: res.status, body: (await res.json()) as any }
  }
  const multipart = (key: string, bytes: number) => uploadMultipart(svc.url, key, 'x.xml', Buffer.alloc(bytes, 0x41))
  const uploadsStored = async () => Number((await db.query<{ n: string }>('SELECT count(*) AS n FROM uploads')).rows[0]!.n)

  beforeAll(async () => {
    svc = await startTestService({ worker: false, env: { MAX_UPLOAD_BYTES: String(GLOBAL_LIMIT) } })
    db = new pg.Pool({ connectionString: svc.databaseUrl, max: 1 })
    smallKey = (await createTestTenant(svc.databaseUrl, 'small')).apiKey
    plainKey = (await createTestTenant(svc.databaseUrl, 'plain')).apiKey
  })
  afterAll(async () => {
    await db?.end()
    await svc?.close()
  })

  it('the operator sets, shows and clears a tenant’s own upload limit with the CLI', async () => {
    expect(await cli('small')).toMatchObject({ code: 0, stdout: "tenant small: uploads up to 10000 bytes (the deployment's MAX_UPLOAD_BYTES)\n" })
    expect(await cli('small', '--max-upload-bytes', '2K')).toMatchObject({ code: 0, stdout: 'tenant small: uploads up to 2048 bytes (its own limit)\n' })
    expect(JSON.parse((await cli('small', '--json')).stdout)).toEqual({ tenant: 'small', maxUploadBytes: 2048, effectiveMaxUploadBytes: 2048 })
    for (const bad of ['0', '-5', '1.5G']) {
      const res = await cli('small', `--max-upload-bytes=${bad}`)
      expect(res.code, bad).toBe(2)
      expect(res.stderr).toContain('--max-upload-bytes must be a positive number of bytes')
    }
    expect((await cli('nobody', '--max-upload-bytes', '5')).stderr).toContain('no tenant named "nobody"')
    expect((await cli()).code).toBe(2)
    expect(JSON.parse((await cli('small', '--json')).stdout).maxUploadBytes).toBe(2048) // the refused changes changed nothing
    expect((await db.query('SELECT max_upload_bytes FROM tenants WHERE name = $1', ['plain'])).rows).toEqual([{ max_upload_bytes: null }])
  })

  it('a lower tenant limit refuses larger uploads on both routes with PAYLOAD_TOO_LARGE, storing nothing; other tenants keep the deployment’s', async () => {
    const before = await uploadsStored()
    expect(await rest(smallKey, 3_000)).toEqual({ status: 413, body: { error: { code: 'PAYLOAD_TOO_LARGE', message: 'upload exceeds the limit of 2048 bytes', limit: 2048 } } })
    const viaGraphql = await multipart(smallKey, 3_000)
    expect(viaGraphql.errors).toEqual([expect.objectContaining({ message: 'upload exceeds the limit of 2048 bytes', extensions: { code: 'PAYLOAD_TOO_LARGE', limit: 2048 } })])
    expect(await uploadsStored()).toBe(before)
    expect((await rest(smallKey, 2_048)).status).toBe(202)
    expect(viaGraphql.data?.uploadLogs ?? null).toBeNull()
    expect((await multipart(smallKey, 2_000)).data?.uploadLogs.sizeBytes).toBe(2_000)
    expect((await rest(plainKey, 3_000)).status).toBe(202)
    expect((await rest(plainKey, GLOBAL_LIMIT + 1)).body.error).toEqual({ code: 'PAYLOAD_TOO_LARGE', message: `upload exceeds the limit of ${GLOBAL_LIMIT} bytes`, limit: GLOBAL_LIMIT })
    expect((await multipart(plainKey, GLOBAL_LIMIT + 1)).errors?.[0]?.extensions).toEqual({ code: 'PAYLOAD_TOO_LARGE', limit: GLOBAL_LIMIT })
    expect(await uploadsStored()).toBe(before + 3)
  })

  it('a higher tenant limit lets that tenant send more than MAX_UPLOAD_BYTES on both routes; `default` takes it back', async () => {
    await cli('small', '--max-upload-bytes', '50000')
    expect((await rest(smallKey, 30_000)).status).toBe(202)
    expect((await multipart(smallKey, 30_000)).data?.uploadLogs.sizeBytes).toBe(30_000)
    expect((await multipart(smallKey, 50_001)).errors?.[0]?.extensions).toEqual({ code: 'PAYLOAD_TOO_LARGE', limit: 50_000 })
    expect((await cli('small', '--max-upload-bytes', 'default')).stdout).toBe("tenant small: uploads up to 10000 bytes (the deployment's MAX_UPLOAD_BYTES)\n")
    expect((await rest(smallKey, 30_000)).body.error).toMatchObject({ code: 'PAYLOAD_TOO_LARGE', limit: GLOBAL_LIMIT })
  })

  it('a GraphQL JSON body over 5 MiB is refused with 413 PAYLOAD_TOO_LARGE naming the limit; the service stays up', async () => {
    const res = await fetch(`${svc.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${plainKey}` },
      body: JSON.stringify({ query: 'query ($s: String!) { rules(filter: { search: $s }) { id } }', variables: { s: 'x'.repeat(6 * 1024 * 1024) } }),
    })
    expect(res.status).toBe(413)
    expect(await res.json()).toEqual({
      errors: [
        {
          message: 'the request body is larger than the limit of 5242880 bytes; send log files as uploads (multipart or POST /v1/uploads)',
          extensions: { code: 'PAYLOAD_TOO_LARGE', limit: 5242880 },
        },
      ],
    })
    const after = await fetch(`${svc.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${plainKey}` }, body: '{"query":"{ rules { id } }"}' })
    expect(await after.json()).toEqual({ data: { rules: [] } })
  })
})
