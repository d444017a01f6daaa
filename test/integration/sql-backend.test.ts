import { randomUUID } from 'node:crypto'
import { readFileSync } from 'node:fs'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  DetectionAggregator,
  applyCimDataModel,
  compileRule,
  createMacroSet,
  parseRuleDocuments,
  type CompiledRule,
  type ExtractedProcessFields,
  type GroupedRow,
  type ProcessEvent,
} from '../../src/detection/index.js'
import { buildGroupedQuery, runGroupedQuery, type QueryScope } from '../../src/sql-backend/index.js'
import { copyEvents } from '../../src/store/event-copy.js'
import { createTestDatabase } from '../helpers/test-database.js'
import { NGROK_EVENT_BASE, NGROK_T0 } from '../unit/detection/helpers.js'
import { ruleDefinition } from '../unit/sql-backend/support/random-rules.js'
import { rowData, storedBatches } from '../unit/sql-backend/support/stored-events.js'

/**
 * The SQL backend against real Postgres, compared with the in-memory DetectionAggregator on the
 * same events: the seed ngrok rule over hand-built Sysmon-like events, scoping by tenant, upload
 * and time window, and the plan's use of the (tenant_id, process_name_lower) index. Random rules are in
 * sql-backend-property.test.ts, the ESCU corpus in sql-backend-corpus.test.ts.
 */

const seedRule = (): CompiledRule => {
  const text = readFileSync(new URL('../../src/rules/escu/windows_ngrok_reverse_proxy_usage.yml', import.meta.url), 'utf8')
  const parsed = parseRuleDocuments(text, { file: 'windows_ngrok_reverse_proxy_usage.yml' })
  return compileRule(parsed.rules[0]!, createMacroSet())
}

const ngrok = (time: number, process: string, extra: ExtractedProcessFields = {}): ProcessEvent =>
  applyCimDataModel(time, { ...NGROK_EVENT_BASE, process, ...extra }, 'xmlwineventlog')

function inMemory(rule: CompiledRule, events: readonly ProcessEvent[]): GroupedRow[] {
  const aggregator = new DetectionAggregator([rule])
  for (const e of events) aggregator.add(e)
  return aggregator.rows()
}

describe('SQL backend on Postgres', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>
  let client: pg.Client
  let pool: pg.Pool

  const insert = async (tenantId: string, uploadId: string, events: readonly ProcessEvent[]): Promise<void> => {
    await copyEvents(client, tenantId, uploadId, storedBatches(events))
  }

  async function expectSameRows(rule: CompiledRule, scope: QueryScope, events: readonly ProcessEvent[]): Promise<GroupedRow[]> {
    const sql = await runGroupedQuery(client, rule, scope)
    const memory = inMemory(rule, events)
    expect(rowData(sql)).toEqual(rowData(memory))
    for (const row of sql) expect(row.rule).toBe(rule)
    return sql
  }

  beforeAll(async () => {
    db = await createTestDatabase()
    client = new pg.Client({ connectionString: db.url })
    await client.connect()
    pool = new pg.Pool({ connectionString: db.url, max: 2 })
  })
  afterAll(async () => {
    await pool?.end()
    await client?.end()
    await db?.drop()
  })

  describe('seed rule: Windows Ngrok Reverse Proxy Usage', () => {
    const rule = seedRule()
    const tenant = randomUUID()
    const upload = randomUUID()
    const events = [
      ngrok(NGROK_T0, 'ngrok.exe start --all'),
      ngrok(NGROK_T0 + 5_000, 'ngrok.exe start --all'),
      ngrok(NGROK_T0 - 2_000, 'ngrok.exe start --all'),
      ngrok(NGROK_T0 + 1, 'ngrok.exe http 80 --config C:\\ngrok.yml', { process_guid: null, user: 'BOB' }),
      ngrok(NGROK_T0 + 2, '"C:\\Tools\\NGROK.EXE" TCP 3389', { process_name: 'NGROK.EXE', dest: 'ws-7' }),
      ngrok(NGROK_T0 + 3, 'ngrok.exe authtoken 2abcDEF', { process_integrity_level: null, process_hash: 'MD5=AB,SHA256=CD' }),
      ngrok(NGROK_T0 + 4, 'ngrok.exe version'),
      ngrok(NGROK_T0 + 5, 'frpc.exe http 80', { process_name: 'frpc.exe' }),
      ngrok(NGROK_T0 + 6, 'ngrok http 80', { process_name: 'ngrok' }),
    ]

    beforeAll(async () => {
      await insert(tenant, upload, events)
      // The same events for another tenant must never show up.
      await insert(randomUUID(), randomUUID(), events)
    })

    it('returns exactly the GroupedRows of DetectionAggregator', async () => {
      const rows = await expectSameRows(rule, { tenantId: tenant }, events)
      expect(rows).toHaveLength(4)
      const first = rows.find((r) => r.count === 3)!
      expect(first).toMatchObject({ firstTime: NGROK_T0 - 2_000, lastTime: NGROK_T0 + 5_000, aggregates: {} })
      expect(first.key).toMatch(/^[0-9a-f]{16}$/)
      // Null BY fields become ESCU's fillnull "null"; calculated CIM fields stay "unknown".
      const bob = rows.find((r) => r.fields['user'] === 'BOB')!
      expect(bob.fields).toMatchObject({ process_guid: 'null', process_hash: 'null', original_file_name: 'unknown' })
    })

    it('accepts a Pool as well as a Client', async () => {
      expect(rowData(await runGroupedQuery(pool, rule, { tenantId: tenant }))).toEqual(rowData(inMemory(rule, events)))
    })

    it('scopes to one upload and to a from <= time < to window', async () => {
      const other = randomUUID()
      const late = [ngrok(NGROK_T0 + 60_000, 'ngrok.exe tcp 22', { dest: 'late-host' })]
      await insert(tenant, other, late)
      await expectSameRows(rule, { tenantId: tenant, uploadId: upload }, events)
      await expectSameRows(rule, { tenantId: tenant, uploadId: other }, late)
      await expectSameRows(rule, { tenantId: tenant }, [...events, ...late])
      const from = new Date(NGROK_T0)
      const to = new Date(NGROK_T0 + 5_000)
      await expectSameRows(rule, { tenantId: tenant, from, to }, events.filter((e) => e._time >= NGROK_T0 && e._time < NGROK_T0 + 5_000))
      expect(await runGroupedQuery(client, rule, { tenantId: randomUUID() })).toEqual([])
    })

    it('lets the planner use the (tenant_id, process_name_lower) index, also under row-level security as the application role', async () => {
      const { text, values } = buildGroupedQuery(rule, { tenantId: tenant })
      await client.query('BEGIN')
      try {
        // As the service queries: the application role, scoped to the tenant (src/db/pool.ts).
        await client.query("SELECT set_config('watchpost.tenant_id', $1, true)", [tenant])
        await client.query('SET LOCAL ROLE watchpost_app')
        // With a handful of rows a sequential scan is cheaper; forbid it to see which index fits.
        await client.query('SET LOCAL enable_seqscan = off')
        const plan = await client.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${text}`, values)
        expect(plan.rows.map((r) => r['QUERY PLAN']).join('\n')).toContain('process_events_tenant_id_process_name_lower_idx')
      } finally {
        await client.query('ROLLBACK')
      }
    })
  })

  it('drops events with a null BY field without fillnull_value, and computes count(f), values, dc', async () => {
    const rule = compileRule(
      ruleDefinition(
        '| tstats count count(Processes.process_hash) as hashed values(Processes.process) as cmds dc(Processes.user) as users values(Processes.os) as os min(_time) as first max(_time) as last from datamodel=Endpoint.Processes where Processes.process_name IN ("cmd.exe", "*.EXE") by Processes.dest Processes.process_guid | `drop_dm_object_name(Processes)`',
      ),
      createMacroSet(),
    )
    const tenant = randomUUID()
    const ev = (time: number, raw: ExtractedProcessFields) => applyCimDataModel(time, { process_name: 'cmd.exe', ...raw }, 'xmlwineventlog')
    const events = [
      ev(300, { dest: 'h', process_guid: '{G}', user: 'b', process: 'z.exe', process_hash: 'MD5=1' }),
      ev(100, { dest: 'h', process_guid: '{G}', user: 'a', process: 'b.exe' }),
      ev(200, { dest: 'h', process_guid: '{G}', user: 'a', process: 'z.exe' }),
      ev(400, { dest: 'h', process_guid: null, user: 'c' }),
      ev(500, { dest: 'H', process_guid: '{g}', process_name: 'PowerShell.EXE' }),
      ev(600, { dest: 'h', process_guid: '{G}', process_name: 'pwsh' }),
    ]
    await insert(tenant, randomUUID(), events)
    const rows = await expectSameRows(rule, { tenantId: tenant }, events)
    expect(rows.map((r) => [r.fields, r.aggregates])).toEqual([
      [{ dest: 'H', process_guid: '{g}' }, { count: 1, hashed: 0, cmds: ['unknown'], users: 1, os: [], first: 500, last: 500 }],
      [{ dest: 'h', process_guid: '{G}' }, { count: 3, hashed: 1, cmds: ['b.exe', 'z.exe'], users: 2, os: [], first: 100, last: 300 }],
    ])
  })

  it('applies the rule’s _filter after grouping, as the aggregator does', async () => {
    const filter = { name: 'random_rule_filter', args: [], definition: 'search user!=alice count!=1' }
    const rule = compileRule(
      ruleDefinition('| tstats count from datamodel=Endpoint.Processes where Processes.process_name=ngrok.exe by Processes.user | `drop_dm_object_name(Processes)` | `random_rule_filter`'),
      createMacroSet([filter]),
    )
    const tenant = randomUUID()
    const events = [ngrok(1, 'a'), ngrok(2, 'b', { user: 'bob' }), ngrok(3, 'c', { user: 'bob' }), ngrok(4, 'd', { user: 'carol' })]
    await insert(tenant, randomUUID(), events)
    const rows = await expectSameRows(rule, { tenantId: tenant }, events)
    expect(rows.map((r) => r.fields['user'])).toEqual(['bob'])
  })
})
