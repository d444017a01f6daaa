import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { compileRule, createMacroSet, parseRuleDocuments, type CompiledRule } from '../../../src/detection/index.js'
import { buildGroupEventsCount, buildGroupEventsPage } from '../../../src/sql-backend/index.js'
import { ruleDefinition } from './support/random-rules.js'

// The events of one grouped row as SQL text: every value a bind parameter, tstats' null rules for
// the BY values, coverage ranges and keyset pages. The integration tests run it against Postgres.

const TENANT = '11111111-1111-4111-8111-111111111111'
const compile = (search: string): CompiledRule => compileRule(ruleDefinition(search), createMacroSet())
const seed = (): CompiledRule => compileRule(parseRuleDocuments(readFileSync(new URL('../../../src/rules/escu/windows_ngrok_reverse_proxy_usage.yml', import.meta.url), 'utf8')).rules[0]!, createMacroSet())

describe('events of a grouped row', () => {
  it('binds every BY value, and a fillnull value stands for a missing field too', () => {
    const rule = seed()
    const fields = Object.fromEntries(rule.byFields.map((f) => [f, f === 'user' ? "x'); DROP TABLE t; --" : 'null']))
    const { text, values } = buildGroupEventsCount(rule, { tenantId: TENANT, fields })
    expect(text).not.toContain('DROP')
    expect(values).toContain("x'); DROP TABLE t; --")
    expect(text).toMatch(/"user" = \$\d+/)
    expect(text).toMatch(/COALESCE\("process_guid", (\$\d+)\) = \1/)
  })

  it('keeps only events with every BY field when there is no fillnull value, and none for a BY field that is no CIM column', () => {
    const plain = compile('| tstats count from datamodel=Endpoint.Processes where Processes.process_name=a by Processes.user')
    expect(buildGroupEventsCount(plain, { tenantId: TENANT, fields: { 'Processes.user': 'bob' } }).text).toMatch(/"user" = \$\d+/)
    const other = compile('| tstats count from datamodel=Endpoint.Processes where Processes.process_name=a by Processes.os')
    expect(buildGroupEventsCount(other, { tenantId: TENANT, fields: { 'Processes.os': 'null' } }).text).toContain('FALSE')
    const filled = compile('| tstats fillnull_value=null count from datamodel=Endpoint.Processes where Processes.process_name=a by Processes.os')
    expect(buildGroupEventsCount(filled, { tenantId: TENANT, fields: { 'Processes.os': 'null' } }).text).not.toContain('FALSE')
    expect(buildGroupEventsCount(filled, { tenantId: TENANT, fields: { 'Processes.os': 'x' } }).text).toContain('FALSE')
  })

  it('reads coverage ranges and literal, case-folded equalities as parameters, and pages by (time, id)', () => {
    const rule = compile('| tstats count from datamodel=Endpoint.Processes where Processes.process_name=a by Processes.user')
    const { text, values } = buildGroupEventsPage(
      rule,
      { tenantId: TENANT, fields: { 'Processes.user': 'bob' }, coverage: { uploadIds: [TENANT], from: ['-infinity'], to: ['2026-01-01T00:00:00.000Z'] }, equals: [{ field: 'dest', value: 'WS-1*' }] },
      { limit: 10, after: { timeMs: 0, id: '42' } },
    )
    expect(text).toContain('JOIN unnest(')
    expect(text).toMatch(/lower\("dest"\) = \$\d+/)
    expect(values).toContain('ws-1*')
    expect(text).toMatch(/\("time", id\) > \(\$\d+::timestamptz, \$\d+::bigint\)/)
    expect(text).toMatch(/ORDER BY "time", id\nLIMIT 11$/)
    expect(() => buildGroupEventsPage(rule, { tenantId: TENANT, fields: {} }, { limit: 1.5 })).toThrow(RangeError)
  })
})
