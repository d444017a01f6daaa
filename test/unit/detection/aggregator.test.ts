import { describe, expect, it } from 'vitest'
import { DetectionAggregator, compileRule, createMacroSet, type ProcessEvent } from '../../../src/detection/index.js'
import { processEvent, ruleWith } from './helpers.js'

const macros = createMacroSet()
const compile = (search: string, extra = {}) => compileRule(ruleWith(search, extra), macros)

const ev = (time: number, fields: Record<string, string | null>): ProcessEvent => processEvent(time, fields)

describe('DetectionAggregator', () => {
  it('drops events with a null BY field when fillnull_value is not set, as tstats does', () => {
    const rule = compile('| tstats count from datamodel=Endpoint.Processes where Processes.process_name=cmd.exe by Processes.dest Processes.process_guid')
    expect(rule.fillnullValue).toBeNull()
    const agg = new DetectionAggregator([rule])
    agg.add(ev(1, { process_name: 'cmd.exe', dest: 'h1', process_guid: null }))
    agg.add(ev(2, { process_name: 'cmd.exe', dest: 'h1', process_guid: '{G}' }))
    expect(agg.rows().map((r) => r.fields)).toEqual([{ 'Processes.dest': 'h1', 'Processes.process_guid': '{G}' }])
  })

  it('uses the fillnull value for null BY fields when it is set', () => {
    const rule = compile('| tstats fillnull_value="N/A" count from datamodel=Endpoint.Processes by Processes.process_guid | `drop_dm_object_name(Processes)`')
    const agg = new DetectionAggregator([rule])
    agg.add(ev(1, { process_guid: null }))
    agg.add(ev(2, {}))
    const rows = agg.rows()
    expect(rows).toHaveLength(1)
    expect(rows[0]).toMatchObject({ fields: { process_guid: 'N/A' }, count: 2 })
  })

  it('computes values(), dc(), count(field) and renamed min/max, keeping BY fields out of aggregates', () => {
    const rule = compile(
      '| tstats count count(Processes.process_hash) as hashed values(Processes.process) as cmds dc(Processes.user) as users min(_time) as first max(_time) as last from datamodel=Endpoint.Processes by Processes.dest | `drop_dm_object_name(Processes)`',
    )
    const agg = new DetectionAggregator([rule])
    agg.add(ev(300, { dest: 'h', user: 'b', process: 'z.exe', process_hash: 'MD5=1' }))
    agg.add(ev(100, { dest: 'h', user: 'a', process: 'b.exe' }))
    agg.add(ev(200, { dest: 'h', user: 'a', process: 'z.exe' }))
    const [row] = agg.rows()
    expect(row).toMatchObject({ count: 3, firstTime: 100, lastTime: 300, fields: { dest: 'h' } })
    expect(row!.aggregates).toEqual({ count: 3, hashed: 1, cmds: ['b.exe', 'z.exe'], users: 2, first: 100, last: 300 })
  })

  it('sorts rows by rule name, then BY values, and gives each a stable key', () => {
    const b = compile('| tstats count from datamodel=Endpoint.Processes by Processes.dest', { id: '00000000-0000-4000-8000-00000000000b', name: 'B rule' })
    const a = compile('| tstats count from datamodel=Endpoint.Processes by Processes.dest', { id: '00000000-0000-4000-8000-00000000000a', name: 'A rule' })
    const run = (order: string[]) => {
      const agg = new DetectionAggregator([b, a])
      order.forEach((d, i) => agg.add(ev(i, { dest: d })))
      return agg.rows().map((r) => [r.rule.rule.name, r.fields['Processes.dest'], r.key])
    }
    const first = run(['z', 'B', 'a'])
    expect(first.map(([n, d]) => `${n}:${d}`)).toEqual(['A rule:B', 'A rule:a', 'A rule:z', 'B rule:B', 'B rule:a', 'B rule:z'])
    expect(run(['a', 'z', 'B'])).toEqual(first)
    const keys = new Set(first.map(([, , k]) => k))
    expect(keys.size).toBe(6)
    for (const k of keys) expect(k).toMatch(/^[0-9a-f]{16}$/)
  })

  it('merges partial groups from several workers into the same rows as one pass', () => {
    const rule = compile(
      '| tstats count min(_time) as firstTime max(_time) as lastTime values(Processes.process) as cmds dc(Processes.user) as users from datamodel=Endpoint.Processes by Processes.dest | `drop_dm_object_name(Processes)`',
    )
    const events = [
      ev(50, { dest: 'h1', user: 'u1', process: 'a' }),
      ev(10, { dest: 'h1', user: 'u2', process: 'b' }),
      ev(70, { dest: 'h2', user: 'u1', process: 'c' }),
      ev(30, { dest: 'h1', user: 'u1', process: 'a' }),
    ]
    const whole = new DetectionAggregator([rule])
    events.forEach((e) => whole.add(e))
    const left = new DetectionAggregator([rule])
    const right = new DetectionAggregator([rule])
    events.slice(0, 2).forEach((e) => left.add(e))
    events.slice(2).forEach((e) => right.add(e))
    const combined = new DetectionAggregator([rule])
    combined.importGroups(JSON.parse(JSON.stringify(left.exportGroups())))
    combined.merge(right)
    expect(combined.rows()).toEqual(whole.rows())
    expect(combined.rows()[0]).toMatchObject({ count: 3, firstTime: 10, lastTime: 50, aggregates: { users: 2, cmds: ['a', 'b'] } })
  })

  it('applies the _filter stage to grouped rows, not to events', () => {
    const set = createMacroSet([{ name: 'busy_filter', args: [], definition: 'search count!=1' }])
    const rule = compileRule(
      ruleWith('| tstats count from datamodel=Endpoint.Processes by Processes.dest | `drop_dm_object_name(Processes)` | `busy_filter`'),
      set,
    )
    const agg = new DetectionAggregator([rule])
    agg.add(ev(1, { dest: 'once' }))
    agg.add(ev(1, { dest: 'twice' }))
    agg.add(ev(2, { dest: 'twice' }))
    expect(agg.rows().map((r) => r.fields.dest)).toEqual(['twice'])
  })

  it('lets a filter see ctime-formatted times when it runs after security_content_ctime', () => {
    const set = createMacroSet([{ name: 'late_filter', args: [], definition: 'search firstTime="2024-*"' }])
    const rule = compileRule(
      ruleWith(
        '| tstats min(_time) as firstTime from datamodel=Endpoint.Processes by Processes.dest | `drop_dm_object_name(Processes)` | `security_content_ctime(firstTime)` | `late_filter`',
      ),
      set,
    )
    const agg = new DetectionAggregator([rule])
    agg.add(ev(Date.UTC(2023, 0, 1), { dest: 'old' }))
    agg.add(ev(Date.UTC(2024, 5, 1), { dest: 'new' }))
    expect(agg.rows().map((r) => r.fields.dest)).toEqual(['new'])
  })

  it('refuses two rules with the same id and partials of unknown rules', () => {
    const r = compile('| tstats count from datamodel=Endpoint.Processes by Processes.dest')
    expect(() => new DetectionAggregator([r, r])).toThrow(/duplicate rule id/)
    const agg = new DetectionAggregator([r])
    expect(() => agg.importGroups([{ ruleId: 'nope', by: ['x'], count: 1, minTime: 1, maxTime: 1, accumulators: [0] }])).toThrow(/unknown rule/)
  })
})
