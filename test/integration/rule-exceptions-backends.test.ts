import { randomUUID } from 'node:crypto'
import fc from 'fast-check'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createPrisma, type PrismaClient } from '../../src/db/prisma.js'
import {
  DetectionAggregator,
  applyExceptions,
  checkExceptionEntries,
  compileRule,
  createMacroSet,
  type CompiledRule,
  type ExceptionEntryInput,
  type ProcessEvent,
  type RuleException,
} from '../../src/detection/index.js'
import { NotFoundError } from '../../src/errors.js'
import { SqlParams, compileWhereToSql, runGroupedQuery } from '../../src/sql-backend/index.js'
import { copyEvents } from '../../src/store/event-copy.js'
import { createRuleException } from '../../src/store/rule-exceptions.js'
import { importRules } from '../../src/store/rules.js'
import { loadEnabledRules, loadRulesForEvaluation } from '../../src/store/tenant-rules.js'
import { createTenant } from '../../src/store/tenants.js'
import { createTestDatabase } from '../helpers/test-database.js'
import { processEvent } from '../unit/detection/helpers.js'
import { compileSpec, eventsArb, patternArb, ruleDefinition, ruleSpecArb, runPoolArb, searchOf, whereArb, whereToSpl } from '../unit/sql-backend/support/random-rules.js'
import { rowData, storedBatches } from '../unit/sql-backend/support/stored-events.js'

/**
 * Exceptions are conjoined to a rule's WHERE tree, so the in-memory engine (ingest) and the SQL
 * backend (scans over stored events) must leave out exactly the same events. Proven here on
 * Postgres: a table of literal values full of pattern metacharacters, fields the event lacks,
 * random rules with random exceptions over random events, and the store's loaders, which are the
 * one place where a tenant's exceptions join its rules.
 *
 * Events hold ASCII only, where Postgres lower() and toLowerCase() agree on any LC_CTYPE but the
 * Turkic ones (sql-backend-property.test.ts measures the rest); exception values are unrestricted,
 * since both backends fold them in JS.
 */

const NOW = new Date('2026-03-16T12:00:00Z')
const isAscii = (v: string): boolean => /^[\x00-\x7f]*$/.test(v)
const ODD = 'a*%_\\b'

const searchWhere = (where: string): CompiledRule => compileRule(ruleDefinition(`| tstats count from datamodel=Endpoint.Processes where ${where} by Processes.dest`), createMacroSet())
const exceptionOf = (entries: ExceptionEntryInput[], expiresAt: Date | null = null): RuleException => ({ id: randomUUID(), entries: checkExceptionEntries(entries), expiresAt })

describe('rule exceptions: the in-memory engine and the SQL backend leave out the same events', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>
  let client: pg.Client
  let pool: pg.Pool
  let prisma: PrismaClient

  /** Lines (1-based, in `events` order) of the events `rule` selects in SQL. */
  async function sqlLines(rule: CompiledRule, events: readonly ProcessEvent[]): Promise<number[]> {
    const tenantId = randomUUID()
    await copyEvents(client, tenantId, randomUUID(), storedBatches(events))
    const params = new SqlParams()
    const tenant = params.add(tenantId)
    const condition = rule.where === null ? 'TRUE' : compileWhereToSql(rule.where, params)
    const { rows } = await client.query<{ line: number }>(`SELECT line FROM process_events WHERE tenant_id = ${tenant} AND ${condition} ORDER BY line`, params.values)
    return rows.map((r) => r.line)
  }

  const memoryLines = (rule: CompiledRule, events: readonly ProcessEvent[]): number[] => events.flatMap((e, i) => (rule.matches(e) ? [i + 1] : []))

  beforeAll(async () => {
    db = await createTestDatabase()
    client = new pg.Client({ connectionString: db.url })
    await client.connect()
    pool = new pg.Pool({ connectionString: db.url, max: 2 })
    prisma = createPrisma(pool)
  })
  afterAll(async () => {
    await prisma?.$disconnect()
    await pool?.end()
    await client?.end()
    await db?.drop()
  })

  it('matches a literal value with * % _ \\ in it only to itself (any case), with IS, IS_ONE_OF and CONTAINS', async () => {
    const names = [ODD, 'A*%_\\B', 'axyz%_\\b', 'a*%x\\b', 'a*%_b', 'a*%_\\\\b', 'ab', 'a%_\\b', 'x a*%_\\b y']
    const events = names.map((process_name) => processEvent(0, { process_name, dest: 'host' }))
    const rule = searchWhere('Processes.process_name=*')
    const expectedKept: Record<string, string[]> = {
      IS: names.filter((n) => n.toLowerCase() !== ODD),
      IS_ONE_OF: names.filter((n) => n.toLowerCase() !== ODD),
      CONTAINS: names.filter((n) => !n.toLowerCase().includes(ODD)),
    }
    for (const entry of [
      { field: 'process_name', operator: 'IS', value: ODD },
      { field: 'process_name', operator: 'IS_ONE_OF', values: [ODD, 'not-there'] },
      { field: 'Processes.process_name', operator: 'CONTAINS', value: ODD },
    ]) {
      const applied = applyExceptions(rule, [exceptionOf([entry])], NOW)
      const memory = memoryLines(applied, events)
      expect(await sqlLines(applied, events), entry.operator).toEqual(memory)
      expect(memory.map((line) => names[line - 1]), entry.operator).toEqual(expectedKept[entry.operator])
    }
    // MATCHES reads the * as a wildcard (and %, _ and \ still literally).
    const matches = applyExceptions(rule, [exceptionOf([{ field: 'process_name', operator: 'MATCHES', value: ODD }])], NOW)
    const kept = memoryLines(matches, events)
    expect(await sqlLines(matches, events)).toEqual(kept)
    expect(kept.map((line) => names[line - 1])).toEqual(['a*%x\\b', 'a*%_b', 'a*%_\\\\b', 'ab', 'x a*%_\\b y'])
  })

  it('keeps events that lack the field of an entry, in both backends', async () => {
    const events = [processEvent(0, { process_name: 'ngrok.exe', dest: 'h', process_guid: '{A}' }), processEvent(0, { process_name: 'ngrok.exe', dest: 'h' })]
    const rule = searchWhere('Processes.process_name=ngrok.exe')
    for (const entry of [
      { field: 'process_guid', operator: 'IS', value: '{A}' },
      { field: 'process_guid', operator: 'IS_ONE_OF', values: ['{A}', '{B}'] },
      { field: 'process_guid', operator: 'MATCHES', value: '*' },
      { field: 'process_guid', operator: 'CONTAINS', value: 'A' },
    ]) {
      const applied = applyExceptions(rule, [exceptionOf([entry])], NOW)
      expect(memoryLines(applied, events), entry.operator).toEqual([2])
      expect(await sqlLines(applied, events), entry.operator).toEqual([2])
    }
  })

  /** Random exceptions over `pool`: literal values (whole, a part, in other case) and wildcard patterns. */
  function exceptionsArb(pool: readonly string[]): fc.Arbitrary<RuleException[]> {
    const field = fc.constantFrom('process_name', 'Processes.process', 'user', 'process_guid')
    const literal = fc.tuple(fc.constantFrom(...pool), fc.nat(), fc.nat(), fc.constantFrom<(s: string) => string>((s) => s, (s) => s.toUpperCase(), (s) => s.toLowerCase())).map(([v, i, j, fold]) => {
      const cps = [...v]
      const [lo, hi] = [i % (cps.length + 1), j % (cps.length + 1)].sort((a, b) => a - b)
      return fold(i % 3 === 0 ? cps.slice(lo!, hi!).join('') : v)
    })
    const entry: fc.Arbitrary<ExceptionEntryInput> = fc.oneof(
      fc.record({ field, operator: fc.constantFrom('IS', 'CONTAINS'), value: literal }),
      fc.record({ field, operator: fc.constant('IS_ONE_OF'), values: fc.array(literal, { minLength: 1, maxLength: 3 }) }),
      fc.record({ field, operator: fc.constant('MATCHES'), value: patternArb(pool) }),
    )
    const valid = (e: ExceptionEntryInput): boolean => [e.value, ...(e.values ?? [])].every((v) => v == null || (v !== '' && !v.includes('\u0000')))
    const exception = fc.record({
      entries: fc.array(entry.filter(valid), { minLength: 1, maxLength: 3 }),
      expired: fc.boolean(),
    })
    return fc.array(exception, { minLength: 1, maxLength: 3 }).map((xs) => xs.map((x) => exceptionOf(x.entries, x.expired ? NOW : null)))
  }

  it('selects the same events in memory and in SQL for 150 random rules with random exceptions', async () => {
    const scenario = runPoolArb.chain((pool) => fc.record({ where: whereArb(pool), exceptions: exceptionsArb(pool), events: eventsArb(pool, isAscii, { minLength: 10, maxLength: 30 }) }))
    let removing = 0
    await fc.assert(
      fc.asyncProperty(scenario, async ({ where, exceptions, events }) => {
        const rule = searchWhere(whereToSpl(where))
        const applied = applyExceptions(rule, exceptions, NOW)
        const memory = memoryLines(applied, events)
        expect(await sqlLines(applied, events), JSON.stringify({ where: whereToSpl(where), exceptions })).toEqual(memory)
        // An exception only ever removes events.
        const before = memoryLines(rule, events)
        expect(memory.every((line) => before.includes(line))).toBe(true)
        if (memory.length < before.length) removing++
      }),
      { numRuns: 150 },
    )
    // Not vacuous: in a good share of the runs the exceptions did leave events out.
    expect(removing).toBeGreaterThan(15)
  })

  it('returns identical grouped rows from both backends for 60 random searches with random exceptions', async () => {
    const scenario = runPoolArb.chain((pool) => fc.record({ spec: ruleSpecArb(pool), exceptions: exceptionsArb(pool), events: eventsArb(pool, isAscii) }))
    await fc.assert(
      fc.asyncProperty(scenario, async ({ spec, exceptions, events }) => {
        const applied = applyExceptions(compileSpec(spec), exceptions, NOW)
        const tenantId = randomUUID()
        await copyEvents(client, tenantId, randomUUID(), storedBatches(events))
        const aggregator = new DetectionAggregator([applied])
        for (const e of events) aggregator.add(e)
        expect(rowData(await runGroupedQuery(client, applied, { tenantId })), searchOf(spec)).toEqual(rowData(aggregator.rows()))
      }),
      { numRuns: 60 },
    )
  })

  it('has the database refuse entries of the wrong shape or size, whatever the code let through', async () => {
    const tenantId = (await createTenant(prisma, `check-${randomUUID().slice(0, 8)}`)).tenant.id
    const insert = (entries: unknown) =>
      client.query("INSERT INTO rule_exceptions (tenant_id, entries, comment, author, updated_by) VALUES ($1, $2::jsonb, 'c', 'cli', 'cli')", [tenantId, JSON.stringify(entries)])
    const entry = (operator: string, values: unknown[], field = 'process_name') => ({ field, operator, values })
    await insert([entry('IS', ['ngrok.exe']), entry('IS_ONE_OF', Array.from({ length: 1000 }, (_, i) => `v${i}`)), entry('CONTAINS', ['x'.repeat(4096)])])
    await insert(Array.from({ length: 20 }, () => entry('MATCHES', ['*'])))
    for (const bad of [
      [],
      {},
      Array.from({ length: 21 }, () => entry('IS', ['a'])),
      [entry('IS', ['a', 'b'])],
      [entry('IS_ONE_OF', [])],
      [entry('IS_ONE_OF', Array.from({ length: 1001 }, (_, i) => `v${i}`))],
      [entry('CONTAINS', ['x'.repeat(4097)])],
      [entry('IS', [''])],
      [entry('IS', [42])],
      [entry('EQUALS', ['a'])],
      [entry('IS', ['a'], 'Processes.process_name')],
      [{ field: 'user', operator: 'IS' }],
      [{ field: 'user', operator: 'IS', value: 'a' }],
      ['IS'],
    ]) {
      await expect(insert(bad), JSON.stringify(bad).slice(0, 80)).rejects.toThrow(/rule_exceptions_entries_check/)
    }
    await expect(client.query("INSERT INTO rule_exceptions (tenant_id, entries, comment, author, updated_by) VALUES ($1, $2::jsonb, '', 'cli', 'cli')", [tenantId, JSON.stringify([entry('IS', ['a'])])])).rejects.toThrow(
      /rule_exceptions_comment_check/,
    )
  })

  describe('the store loaders apply the tenant’s exceptions to the rules they load', () => {
    const ruleYaml = (id: string, name: string, where: string): string =>
      [
        `name: ${name}`,
        `id: ${id}`,
        'version: 1',
        'type: TTP',
        'description: test rule',
        `search: '| tstats count min(_time) as firstTime max(_time) as lastTime from datamodel=Endpoint.Processes where ${where} by Processes.dest Processes.user | \`drop_dm_object_name(Processes)\` | \`${name.toLowerCase().replace(' ', '_')}_filter\`'`,
        'tags:',
        '  mitre_attack_id: [T1572]',
      ].join('\n')

    let tenantId: string
    let ngrokId: string
    let cmdId: string
    const events = [
      processEvent(Date.UTC(2026, 2, 16, 10), { process_name: 'ngrok.exe', dest: 'lab-1', user: 'dave' }),
      processEvent(Date.UTC(2026, 2, 16, 10), { process_name: 'ngrok.exe', dest: 'ws-1', user: 'erin' }),
      processEvent(Date.UTC(2026, 2, 16, 10), { process_name: 'cmd.exe', dest: 'lab-1', user: 'dave' }),
      processEvent(Date.UTC(2026, 2, 16, 10), { process_name: 'cmd.exe', dest: 'ws-1', user: 'frank' }),
    ]

    /** Grouped rows of every loaded rule in both backends (which must agree), as `rule name → dest/user`. */
    async function detect(loaded: Awaited<ReturnType<typeof loadEnabledRules>>): Promise<Record<string, string[]>> {
      const out: Record<string, string[]> = {}
      for (const r of loaded.rules) {
        const aggregator = new DetectionAggregator([r.compiled])
        for (const e of events) aggregator.add(e)
        const sql = await runGroupedQuery(client, r.compiled, { tenantId })
        expect(rowData(sql)).toEqual(rowData(aggregator.rows()))
        out[r.compiled.rule.name] = sql.map((row) => `${row.fields.dest}/${row.fields.user}`)
      }
      return out
    }

    beforeAll(async () => {
      tenantId = (await createTenant(prisma, `exceptions-${randomUUID().slice(0, 8)}`)).tenant.id
      const imported = await importRules(
        prisma,
        tenantId,
        [ruleYaml('11111111-1111-4111-8111-111111111111', 'Ngrok Rule', 'Processes.process_name=ngrok.exe'), ruleYaml('22222222-2222-4222-8222-222222222222', 'Cmd Rule', 'Processes.process_name=cmd.exe')].join('\n---\n'),
      )
      expect(imported.errors).toEqual([])
      ngrokId = imported.rules.find((r) => r.name === 'Ngrok Rule')!.id
      cmdId = imported.rules.find((r) => r.name === 'Cmd Rule')!.id
      await copyEvents(client, tenantId, randomUUID(), storedBatches(events))
    })

    it('applies a rule’s own exceptions to it only, shared ones to every rule, and expired ones to none', async () => {
      const actor = { tenantId, keyId: null }
      expect(await detect(await loadEnabledRules(prisma, tenantId, NOW))).toEqual({ 'Ngrok Rule': ['lab-1/dave', 'ws-1/erin'], 'Cmd Rule': ['lab-1/dave', 'ws-1/frank'] })
      await createRuleException(prisma, actor, { ruleId: ngrokId, entries: [{ field: 'user', operator: 'IS', value: 'ERIN' }], comment: 'erin runs ngrok for demos' })
      expect(await detect(await loadEnabledRules(prisma, tenantId, NOW))).toEqual({ 'Ngrok Rule': ['lab-1/dave'], 'Cmd Rule': ['lab-1/dave', 'ws-1/frank'] })
      await createRuleException(prisma, actor, { entries: [{ field: 'Processes.dest', operator: 'MATCHES', value: 'LAB-*' }], comment: 'the lab is noisy' })
      expect(await detect(await loadEnabledRules(prisma, tenantId, NOW))).toEqual({ 'Ngrok Rule': [], 'Cmd Rule': ['ws-1/frank'] })
      await createRuleException(prisma, actor, { entries: [{ field: 'user', operator: 'IS', value: 'frank' }], expiresAt: new Date(NOW.getTime() - 1), comment: 'expired' })
      await createRuleException(prisma, actor, { ruleId: cmdId, entries: [{ field: 'user', operator: 'IS', value: 'frank' }], expiresAt: NOW, comment: 'expires at the evaluation time' })
      expect(await detect(await loadEnabledRules(prisma, tenantId, NOW))).toEqual({ 'Ngrok Rule': [], 'Cmd Rule': ['ws-1/frank'] })
      // The same exception, evaluated before it expires.
      expect(await detect(await loadEnabledRules(prisma, tenantId, new Date(NOW.getTime() - 2)))).toEqual({ 'Ngrok Rule': [], 'Cmd Rule': [] })
    })

    it('loads named rules, enabled or not, with their exceptions; an unknown id is NOT_FOUND', async () => {
      await prisma.rule.update({ where: { id: cmdId }, data: { enabled: false } })
      expect((await loadRulesForEvaluation(prisma, tenantId, { now: NOW })).rules.map((r) => r.ruleId)).toEqual([ngrokId])
      const named = await loadRulesForEvaluation(prisma, tenantId, { ruleIds: [cmdId], now: NOW })
      expect(named.rules.map((r) => r.ruleId)).toEqual([cmdId])
      expect(await detect(named)).toEqual({ 'Cmd Rule': ['ws-1/frank'] })
      const missing = randomUUID()
      await expect(loadRulesForEvaluation(prisma, tenantId, { ruleIds: [cmdId, missing] })).rejects.toThrow(new NotFoundError('Rule', missing))
      await expect(loadRulesForEvaluation(prisma, tenantId, { ruleIds: ['not-a-uuid'] })).rejects.toThrow(NotFoundError)
      const other = (await createTenant(prisma, `other-${randomUUID().slice(0, 8)}`)).tenant.id
      await expect(loadRulesForEvaluation(prisma, other, { ruleIds: [cmdId] })).rejects.toThrow(new NotFoundError('Rule', cmdId))
    })
  })
})
