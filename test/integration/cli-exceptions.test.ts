import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createPrisma } from '../../src/db/prisma.js'
import { importRules } from '../../src/store/rules.js'
import { SEED_RULE_YAML } from '../helpers/fixtures.js'
import { runCli } from '../helpers/run-cli.js'
import { createTestTenant } from '../helpers/tenant.js'
import { createTestDatabase } from '../helpers/test-database.js'

// `watchpost exception list|add|delete` against a real database: the operator's way to manage a
// tenant's exceptions from a shell, recorded with the author `cli` and in the tenant's audit log.

describe('watchpost exception', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>
  let env: Record<string, string>
  let ruleId: string
  let tenantId: string

  beforeAll(async () => {
    db = await createTestDatabase()
    env = { DATABASE_URL: db.url }
    tenantId = (await createTestTenant(db.url, 'shell-exceptions')).tenant.id
    const pool = new pg.Pool({ connectionString: db.url, max: 1 })
    const prisma = createPrisma(pool)
    ruleId = (await importRules(prisma, tenantId, SEED_RULE_YAML)).rules[0]!.id
    await prisma.$disconnect()
    await pool.end()
  })
  afterAll(async () => {
    await db?.drop()
  })

  it('adds, lists and deletes exceptions with the author cli, and audits each change', async () => {
    const entries = JSON.stringify([{ field: 'Processes.process', operator: 'CONTAINS', value: 'C:\\Tools\\ngrok.exe tcp' }])
    const added = await runCli(['exception', 'add', '--tenant', 'shell-exceptions', '--rule', ruleId, '--entries', entries, '--comment', 'build agents', '--json'], { env })
    expect(added.stderr).toBe('')
    const exception = JSON.parse(added.stdout)
    expect(exception).toMatchObject({ ruleId, author: 'cli', authorKeyId: null, updatedBy: 'cli', entries: [{ field: 'process', operator: 'CONTAINS', values: ['C:\\Tools\\ngrok.exe tcp'] }] })
    const shared = await runCli(['exception', 'add', '--tenant', 'shell-exceptions', '--entries', '{"field":"user","operator":"IS_ONE_OF","values":["a","b"]}', '--comment', 'lab', '--expires', '2020-01-01T00:00:00Z'], { env })
    expect(shared.stdout).toMatch(/^created [0-9a-f-]{36} {2}all rules {2}user IS_ONE_OF \["a","b"\] {2}\(expires 2020-01-01T00:00:00.000Z\) {2}by cli: lab\n$/)

    const listed = await runCli(['exception', 'list', '--tenant', 'shell-exceptions'], { env })
    expect(listed.stdout).toBe(`${exception.id}  rule ${ruleId}  process CONTAINS "C:\\\\Tools\\\\ngrok.exe tcp"  by cli: build agents\n`)
    expect((await runCli(['exception', 'list', '--tenant', 'shell-exceptions', '--include-expired'], { env })).stdout.split('\n').filter(Boolean)).toHaveLength(2)
    expect((await runCli(['exception', 'delete', '--tenant', 'shell-exceptions', exception.id], { env })).stdout).toBe(`deleted ${exception.id}\n`)
    expect((await runCli(['exception', 'list', '--tenant', 'shell-exceptions'], { env })).stdout).toBe('')

    const client = new pg.Client({ connectionString: db.url })
    await client.connect()
    const { rows } = await client.query("SELECT operation, actor_role, outcome, summary FROM audit_events WHERE tenant_id = $1 AND operation LIKE '%RuleException' ORDER BY occurred_at, id", [tenantId])
    await client.end()
    expect(rows.map((r) => [r.operation, r.actor_role, r.outcome, r.summary.entries ?? r.summary.id])).toEqual([
      ['createRuleException', 'cli', 'SUCCESS', [{ field: 'Processes.process', operator: 'CONTAINS', values: 1 }]],
      ['createRuleException', 'cli', 'SUCCESS', [{ field: 'user', operator: 'IS_ONE_OF', values: 2 }]],
      ['deleteRuleException', 'cli', 'SUCCESS', exception.id],
    ])
    expect(JSON.stringify(rows)).not.toContain('Tools')
  })

  it('names what is wrong: the entry, the option, the tenant', async () => {
    const bad = await runCli(['exception', 'add', '--tenant', 'shell-exceptions', '--entries', '[{"field":"image","operator":"IS","value":"x"}]', '--comment', 'c'], { env })
    expect([bad.code, bad.stderr]).toEqual([1, expect.stringMatching(/^watchpost: --entries\[0\]\.field: unknown field "image"; .*process_name/)])
    const notJson = await runCli(['exception', 'add', '--tenant', 'shell-exceptions', '--entries', 'user=bob', '--comment', 'c'], { env })
    expect([notJson.code, notJson.stderr]).toEqual([2, expect.stringContaining('watchpost: --entries is not JSON')])
    const noComment = await runCli(['exception', 'add', '--tenant', 'shell-exceptions', '--entries', '[]', '--comment', ' '], { env })
    expect(noComment.stderr).toMatch(/^watchpost: --entries: an exception needs at least one entry/)
    expect((await runCli(['exception', 'list', '--tenant', 'nobody'], { env })).stderr).toBe('watchpost: no tenant named "nobody"\n')
    expect((await runCli(['exception', 'delete', '--tenant', 'shell-exceptions'], { env })).code).toBe(2)
    const help = await runCli(['exception', '--help'], { env })
    expect([help.code, help.stdout]).toEqual([0, expect.stringContaining('watchpost exception add --tenant NAME')])
  })
})
