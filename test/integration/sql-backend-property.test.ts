import { randomUUID } from 'node:crypto'
import fc from 'fast-check'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DetectionAggregator, compileRule, createMacroSet, type ProcessEvent } from '../../src/detection/index.js'
import { SqlParams, compileWhereToSql, runGroupedQuery, type QueryScope } from '../../src/sql-backend/index.js'
import { copyEvents } from '../../src/store/event-copy.js'
import { createTestDatabase } from '../helpers/test-database.js'
import { compileSpec, ruleDefinition, scenarioArb, searchOf, whereScenarioArb, whereToSpl } from '../unit/sql-backend/support/random-rules.js'
import { rowData, storedBatches } from '../unit/sql-backend/support/stored-events.js'

/**
 * Random rules (WHERE trees with =, !=, IN, NOT, AND, OR and wildcards; values with LIKE
 * metacharacters, quotes, backslashes, mixed case and non-ASCII; random BY lists, aggregations,
 * fillnull options and `_filter` stages) over random events must give identical GroupedRows from
 * Postgres and from DetectionAggregator.
 *
 * Case folding: SQL folds stored values with the database's `lower()`, the engine with
 * `toLowerCase()` (see src/sql-backend/where-to-sql.ts). The first test measures, per code point,
 * where the two differ on this database; events then only use characters where they agree (and
 * no `Σ`, whose JS fold depends on its neighbours). Patterns are unrestricted: SQL folds them in
 * JS, exactly like the engine.
 */

const SIGMA = 'Σ'
const isAscii = (cp: number): boolean => cp < 0x80

describe('SQL backend ≡ DetectionAggregator on random rules and events', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>
  let client: pg.Client
  /** Code points whose fold by this database's lower() differs from String.prototype.toLowerCase. */
  let divergent: Set<number>

  const storable = (v: string): boolean => {
    if (v.includes(SIGMA)) return false
    for (const ch of v) if (divergent.has(ch.codePointAt(0)!)) return false
    return true
  }

  beforeAll(async () => {
    db = await createTestDatabase()
    client = new pg.Client({ connectionString: db.url })
    await client.connect()
    const { rows } = await client.query<{ g: number; l: string }>(
      'SELECT g, lower(chr(g)) AS l FROM generate_series(1, 1114111) AS g WHERE g NOT BETWEEN 55296 AND 57343 AND lower(chr(g)) <> chr(g)',
    )
    const folded = new Map(rows.map((r) => [r.g, r.l]))
    divergent = new Set()
    for (let cp = 1; cp <= 0x10ffff; cp++) {
      if (cp >= 0xd800 && cp <= 0xdfff) continue
      const ch = String.fromCodePoint(cp)
      if ((folded.get(cp) ?? ch) !== ch.toLowerCase()) divergent.add(cp)
    }
  })
  afterAll(async () => {
    await client?.end()
    await db?.drop()
  })

  it('finds lower() and toLowerCase() equal on every ASCII character (a Turkic LC_CTYPE would fail here)', async () => {
    expect([...divergent].filter(isAscii)).toEqual([])
    const { rows } = await client.query<{ lc_ctype: string }>('SHOW lc_ctype')
    if (rows[0]!.lc_ctype === 'C.UTF-8') {
      // glibc C.UTF-8: İ (JS: i + U+0307, glibc: i) and letters newer than glibc's Unicode tables.
      expect(divergent.has(0x130)).toBe(true)
      expect(divergent.size).toBeLessThan(100)
      // So a stored `İSTANBUL` would match `user=istanbul` in SQL but not in memory.
      const probe = await client.query<{ l: string }>("SELECT lower('İSTANBUL') AS l")
      expect([probe.rows[0]!.l, 'İSTANBUL'.toLowerCase()]).toEqual(['istanbul', 'i\u0307stanbul'])
    }
  })

  it('selects exactly the events the in-memory matcher matches, for 200 random WHERE trees', async () => {
    await fc.assert(
      fc.asyncProperty(whereScenarioArb(storable), async ({ where, events }) => {
        const spl = whereToSpl(where)
        const rule = compileRule(ruleDefinition(`| tstats count from datamodel=Endpoint.Processes where ${spl}`), createMacroSet())
        const tenantId = randomUUID()
        await copyEvents(client, tenantId, randomUUID(), storedBatches(events))
        const params = new SqlParams()
        const tenant = params.add(tenantId)
        const condition = compileWhereToSql(rule.where!, params)
        const { rows } = await client.query<{ line: number }>(`SELECT line FROM process_events WHERE tenant_id = ${tenant} AND ${condition} ORDER BY line`, params.values)
        // storedBatches numbers events from line 1.
        const expected = events.flatMap((e, i) => (rule.matches(e) ? [i + 1] : []))
        expect(rows.map((r) => r.line), spl).toEqual(expected)
      }),
      { numRuns: 200 },
    )
  })

  it('returns identical GroupedRows for 100 random rules', async () => {
    const scopeKind = fc.constantFrom('tenant', 'upload', 'window')
    const window = fc.tuple(fc.integer({ min: 1_700_000_000_000, max: 1_700_000_100_000 }), fc.integer({ min: 0, max: 60_000 }))
    await fc.assert(
      fc.asyncProperty(scenarioArb(storable), fc.nat(), scopeKind, window, async ({ spec, events }, split, kind, [from, span]) => {
        const rule = compileSpec(spec)
        const tenantId = randomUUID()
        const uploads = [randomUUID(), randomUUID()]
        const cut = split % (events.length + 1)
        await copyEvents(client, tenantId, uploads[0]!, storedBatches(events.slice(0, cut)))
        await copyEvents(client, tenantId, uploads[1]!, storedBatches(events.slice(cut)))

        let scope: QueryScope = { tenantId }
        let inScope: readonly ProcessEvent[] = events
        if (kind === 'upload') {
          scope = { tenantId, uploadId: uploads[0]! }
          inScope = events.slice(0, cut)
        } else if (kind === 'window') {
          scope = { tenantId, from: new Date(from), to: new Date(from + span) }
          inScope = events.filter((e) => e._time >= from && e._time < from + span)
        }

        const aggregator = new DetectionAggregator([rule])
        for (const e of inScope) aggregator.add(e)
        const sql = await runGroupedQuery(client, rule, scope)
        expect(rowData(sql), searchOf(spec)).toEqual(rowData(aggregator.rows()))
      }),
      { numRuns: 100 },
    )
  })
})
