import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runCli } from '../helpers/run-cli.js'
import { createTestTenant } from '../helpers/tenant.js'
import { graphql, startTestService, type TestService } from '../helpers/test-service.js'

// A tenant's retention period: set by its admin over GraphQL or by the operator with the CLI,
// validated alike, and shown on the tenant.

const OPERATOR_TOKEN = 'op-' + 'x'.repeat(40)
const SET = 'mutation ($days: Int) { setRetentionPeriod(days: $days) { id name retentionDays } }'

describe('the retention period setting', () => {
  let svc: TestService
  let admin: string
  let analyst: string
  let tenantId: string

  beforeAll(async () => {
    svc = await startTestService({ worker: false, env: { OPERATOR_TOKEN } })
    const created = await createTestTenant(svc.databaseUrl, 'acme')
    admin = created.apiKey
    tenantId = created.tenant.id
    const res = await graphql<any>(svc.url, admin, 'mutation { createApiKey(name: "a", role: analyst) { key } }')
    analyst = res.data.createApiKey.key
  })
  afterAll(async () => {
    await svc?.close()
  })

  it('is null (kept forever) for a new tenant', async () => {
    const res = await graphql<any>(svc.url, admin, '{ tenant { id name retentionDays } }')
    expect(res).toEqual({ data: { tenant: { id: tenantId, name: 'acme', retentionDays: null } } })
  })

  it("is set and lifted by the tenant's admin, and shown on the tenant to its keys and to the operator", async () => {
    expect(await graphql(svc.url, admin, SET, { days: 30 })).toEqual({ data: { setRetentionPeriod: { id: tenantId, name: 'acme', retentionDays: 30 } } })
    expect(await graphql(svc.url, analyst, '{ tenant { retentionDays } }')).toEqual({ data: { tenant: { retentionDays: 30 } } })
    expect(await graphql(svc.url, OPERATOR_TOKEN, '{ tenants { name retentionDays } }')).toEqual({ data: { tenants: [{ name: 'acme', retentionDays: 30 }] } })
    expect(await graphql(svc.url, admin, SET, { days: null })).toEqual({ data: { setRetentionPeriod: { id: tenantId, name: 'acme', retentionDays: null } } })
  })

  it.each([0, -1, 3651])('refuses %i days with BAD_USER_INPUT', async (days) => {
    const res = await graphql(svc.url, admin, SET, { days })
    expect(res.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT')
    expect(res.errors?.[0]?.message).toBe(`the retention period must be a whole number of days from 1 to 3650, or null to keep events forever (got ${days})`)
  })

  it('refuses a missing `days` rather than reading it as "forever"', async () => {
    await graphql(svc.url, admin, SET, { days: 7 })
    const res = await graphql(svc.url, admin, 'mutation { setRetentionPeriod { retentionDays } }')
    expect(res.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT')
    expect((await graphql<any>(svc.url, admin, '{ tenant { retentionDays } }')).data.tenant.retentionDays).toBe(7)
  })

  it('is refused to keys that are not admin, and to the operator credential', async () => {
    const byAnalyst = await graphql(svc.url, analyst, SET, { days: 1 })
    expect(byAnalyst.errors?.[0]?.extensions?.code).toBe('FORBIDDEN')
    expect(byAnalyst.errors?.[0]?.message).toBe('the analyst role may not manage settings')
    expect((await graphql(svc.url, OPERATOR_TOKEN, SET, { days: 1 })).errors?.[0]?.extensions?.code).toBe('FORBIDDEN')
    expect((await graphql(svc.url, null, SET, { days: 1 })).errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED')
    expect((await graphql<any>(svc.url, admin, '{ tenant { retentionDays } }')).data.tenant.retentionDays).toBe(7)
  })

  it('is set by the operator with `watchpost tenant retention`, and listed by `tenant list --json`', async () => {
    const env = { DATABASE_URL: svc.databaseUrl }
    expect(await runCli(['tenant', 'retention', 'acme', '--days', '90'], { env })).toMatchObject({ code: 0, stdout: 'tenant acme keeps its events for 90 days\n' })
    expect(JSON.parse((await runCli(['tenant', 'list', '--json'], { env })).stdout)).toEqual([{ id: tenantId, name: 'acme', status: 'ACTIVE', retentionDays: 90 }])
    expect((await runCli(['tenant', 'list'], { env })).stdout).toBe(`${tenantId}  ACTIVE     90d      acme\n`)
    expect(await runCli(['tenant', 'retention', 'acme', '--forever'], { env })).toMatchObject({ code: 0, stdout: 'tenant acme keeps its events forever\n' })
    expect(JSON.parse((await runCli(['tenant', 'list', '--json'], { env })).stdout)[0].retentionDays).toBeNull()
  })

  it('refuses bad CLI input with the same rule and a usage error', async () => {
    const env = { DATABASE_URL: svc.databaseUrl }
    const outOfRange = await runCli(['tenant', 'retention', 'acme', '--days', '4000'], { env })
    expect(outOfRange.code).toBe(1)
    expect(outOfRange.stderr).toContain('the retention period must be a whole number of days from 1 to 3650')
    for (const args of [['--days', '1.5'], ['--days', '10', '--forever'], [], ['--days', 'ten']]) {
      expect((await runCli(['tenant', 'retention', 'acme', ...args], { env })).code, args.join(' ')).toBe(2)
    }
    expect((await runCli(['tenant', 'suspend', 'acme', '--days', '3'], { env })).code).toBe(2)
    expect((await runCli(['tenant', 'retention', 'nobody', '--days', '3'], { env })).stderr).toContain('no tenant named "nobody"')
    expect(JSON.parse((await runCli(['tenant', 'list', '--json'], { env })).stdout)[0]).toMatchObject({ status: 'ACTIVE', retentionDays: null })
  })
})
