import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { compileRule, createMacroSet, parseRuleDocuments, type CompiledRule } from '../../../src/detection/index.js'
import { buildGroupedQuery, partialGroupsOf } from '../../../src/sql-backend/index.js'
import { ruleDefinition } from './support/random-rules.js'

/**
 * The grouped SELECT as text: scope conditions, tstats' null rules for BY fields, the columns
 * computed per aggregation, and the mapping of result rows back to the engine's partial groups.
 */

const TENANT = '11111111-1111-4111-8111-111111111111'
const compile = (search: string): CompiledRule => compileRule(ruleDefinition(search), createMacroSet())
const seed = (): CompiledRule => {
  const text = readFileSync(new URL('../../../src/rules/escu/windows_ngrok_reverse_proxy_usage.yml', import.meta.url), 'utf8')
  return compileRule(parseRuleDocuments(text).rules[0]!, createMacroSet())
}

describe('buildGroupedQuery', () => {
  it('scopes to the tenant first, then the WHERE, and groups the seed rule by its 20 columns, COALESCEd per group', () => {
    const { text, values } = buildGroupedQuery(seed(), { tenantId: TENANT })
    expect(text).toContain(`WHERE tenant_id = $1\n  AND ("process_name_lower" = $2 AND (lower("process") LIKE $3 ESCAPE '\\'`)
    expect(text).toContain('COALESCE("user", $8) AS b17')
    expect(text.match(/COALESCE\(/g)).toHaveLength(20)
    // Grouped by the raw columns: COALESCE runs per group, and the aggregator merges a null's group with the fill value's.
    const columns = [...text.matchAll(/COALESCE\(("[^"]+"), \$8\) AS b\d+/g)].map((m) => m[1])
    expect(text).toContain(`GROUP BY ${columns.join(', ')}`)
    expect(text).not.toContain('HAVING')
    // The rule lists "*http*" twice; it is bound once. The fillnull value "null" is bound once for all 20.
    expect(values).toEqual([TENANT, 'ngrok.exe', '%start%', '%--config%', '%http%', '%authtoken%', '%tcp%', 'null'])
  })

  it('adds the optional upload and the half-open time window as parameters', () => {
    const rule = compile('| tstats count from datamodel=Endpoint.Processes by Processes.dest')
    const from = new Date(Date.UTC(2024, 0, 1))
    const to = new Date(Date.UTC(2024, 0, 2))
    const { text, values } = buildGroupedQuery(rule, { tenantId: TENANT, uploadId: 'u-1', from, to })
    expect(text).toContain('WHERE tenant_id = $1\n  AND upload_id = $2\n  AND "time" >= $3::timestamptz\n  AND "time" < $4::timestamptz\n  AND "dest" IS NOT NULL')
    expect(values).toEqual([TENANT, 'u-1', '2024-01-01T00:00:00.000Z', '2024-01-02T00:00:00.000Z'])
  })

  it('with coverage, filters the events by the uploads and the span of all ranges, then joins the ranges and groups per upload', () => {
    const rule = compile('| tstats count from datamodel=Endpoint.Processes by Processes.dest')
    const coverage = { uploadIds: ['u-1', 'u-2', 'u-2'], from: ['2024-01-02T00:00:00.000Z', '-infinity', '2024-01-05T00:00:00.000Z'], to: ['2024-01-03T00:00:00.000Z', '2024-01-01T00:00:00.000Z', '2024-01-06T00:00:00.000Z'] }
    const { text, values } = buildGroupedQuery(rule, { tenantId: TENANT, coverage })
    // The filter is a subquery of its own (OFFSET 0): its constants, not the ranges, choose how the events are read.
    expect(text).toContain('FROM (SELECT * FROM process_events\n      WHERE tenant_id = $1\n        AND upload_id = ANY($2::uuid[])\n        AND "time" >= $3::timestamptz\n        AND "time" < $4::timestamptz\n        AND "dest" IS NOT NULL\n      OFFSET 0) AS process_events')
    expect(text).toContain('JOIN unnest($2::uuid[], $5::timestamptz[], $6::timestamptz[]) AS cov(upload_id, covered_from, covered_to) USING (upload_id)\nWHERE "time" >= cov.covered_from\n  AND "time" < cov.covered_to')
    expect(text).toContain('GROUP BY upload_id, b0')
    expect(values).toEqual([TENANT, coverage.uploadIds, '-infinity', '2024-01-06T00:00:00.000Z', coverage.from, coverage.to])
  })

  it('with coverage of whole uploads only, reads the uploads without a join or a time condition', () => {
    const rule = compile('| tstats count from datamodel=Endpoint.Processes by Processes.dest')
    const { text, values } = buildGroupedQuery(rule, { tenantId: TENANT, coverage: { uploadIds: ['u-1', 'u-2'], from: ['-infinity', '-infinity'], to: ['infinity', 'infinity'] } })
    expect(text).toContain('FROM process_events\nWHERE tenant_id = $1\n  AND upload_id = ANY($2::uuid[])\n  AND "dest" IS NOT NULL\nGROUP BY upload_id, b0')
    expect(text).not.toContain('cov')
    expect(text).not.toContain('"time" >=')
    expect(values).toEqual([TENANT, ['u-1', 'u-2']])
  })

  it('without fillnull_value drops events whose BY field is null, and every event for a non-CIM BY field', () => {
    const rule = compile('| tstats count from datamodel=Endpoint.Processes by Processes.dest Processes.process_guid')
    const { text } = buildGroupedQuery(rule, { tenantId: TENANT })
    expect(text).toContain('AND "dest" IS NOT NULL\n  AND "process_guid" IS NOT NULL')
    expect(text).toContain('"dest" AS b0,')
    const os = compile('| tstats count from datamodel=Endpoint.Processes by Processes.os Processes.dest')
    expect(buildGroupedQuery(os, { tenantId: TENANT }).text).toContain('AND FALSE')
  })

  it('with fillnull_value fills non-CIM BY fields in JS and binds the fill value only when a column uses it', () => {
    const onlyOs = compile('| tstats fillnull_value="N/A" count from datamodel=Endpoint.Processes by Processes.os')
    const q = buildGroupedQuery(onlyOs, { tenantId: TENANT })
    expect(q.values).toEqual([TENANT])
    expect(q.text).toContain('HAVING count(*) > 0')
    expect(partialGroupsOf(onlyOs, [{ n: '2', first_ms: '5', last_ms: '9' }])).toEqual([
      { ruleId: onlyOs.rule.id, by: ['N/A'], count: 2, minTime: 5, maxTime: 9, accumulators: [0] },
    ])
  })

  it('refuses a fillnull value with NUL, which Postgres text cannot hold', () => {
    const rule = compile('| tstats fillnull_value="a\u0000b" count from datamodel=Endpoint.Processes by Processes.dest')
    expect(() => buildGroupedQuery(rule, { tenantId: TENANT })).toThrow(/NUL/)
  })

  it('returns a row without BY only when some event matched (HAVING count(*) > 0)', () => {
    const { text } = buildGroupedQuery(compile('| tstats count from datamodel=Endpoint.Processes where Processes.dest=x'), { tenantId: TENANT })
    expect(text).not.toContain('GROUP BY')
    expect(text.endsWith('HAVING count(*) > 0')).toBe(true)
  })

  it('computes count(f) and distinct sets for values/dc, and nothing for non-CIM fields', () => {
    const rule = compile(
      '| tstats count count(Processes.process_hash) as hashed values(Processes.process) dc(Processes.user) as users values(Processes.os) count(Processes.os) min(_time) as firstTime max(_time) as lastTime from datamodel=Endpoint.Processes by Processes.dest',
    )
    const { text } = buildGroupedQuery(rule, { tenantId: TENANT })
    expect(text).toContain('count("process_hash") AS a1')
    expect(text).toContain(`coalesce(array_agg(DISTINCT "process") FILTER (WHERE "process" IS NOT NULL), '{}') AS a2`)
    expect(text).toContain(`coalesce(array_agg(DISTINCT "user") FILTER (WHERE "user" IS NOT NULL), '{}') AS a3`)
    expect(text).not.toMatch(/AS a[0456]\b/)
    expect(text).toContain('(extract(epoch FROM min("time")) * 1000)::bigint AS first_ms')
    const row = { b0: 'h1', n: '3', first_ms: '1000', last_ms: '3000', a1: '1', a2: ['z', 'b'], a3: ['a', 'b'] }
    expect(partialGroupsOf(rule, [row])).toEqual([
      { ruleId: rule.rule.id, by: ['h1'], count: 3, minTime: 1000, maxTime: 3000, accumulators: [0, 1, ['z', 'b'], ['a', 'b'], [], 0, 0, 0] },
    ])
  })
})
