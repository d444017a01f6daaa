import { describe, expect, it } from 'vitest'
import {
  ATTACK_VERSION,
  DetectionAggregator,
  compileRule,
  createMacroSet,
  describeDetection,
  lookupTechniques,
  type Rba,
} from '../../../src/detection/index.js'
import { processEvent, ruleWith } from './helpers.js'

const rba: Rba = {
  message: 'Seen $process$ on $dest$ by $user$ ($missing$), $count$ times',
  riskObjects: [
    { field: 'user', type: 'user', score: 40 },
    { field: 'dest', type: 'system', score: 60 },
  ],
  threatObjects: [{ field: 'process_guid', type: 'process_guid' }],
}

const escu = (by: string, extra = {}) =>
  compileRule(
    ruleWith(
      `| tstats \`security_content_summariesonly\` count min(_time) as firstTime max(_time) as lastTime from datamodel=Endpoint.Processes by ${by} | \`drop_dm_object_name(Processes)\` | \`security_content_ctime(firstTime)\` | \`security_content_ctime(lastTime)\``,
      { rba, ...extra },
    ),
    createMacroSet(),
  )

const onlyRow = (rule: ReturnType<typeof escu>, ...events: ReturnType<typeof processEvent>[]) => {
  const agg = new DetectionAggregator([rule])
  events.forEach((e) => agg.add(e))
  const rows = agg.rows()
  expect(rows).toHaveLength(1)
  return describeDetection(rows[0]!)
}

describe('describeDetection', () => {
  it('skips risk and threat objects whose value is the fillnull "null", keeps "unknown"', () => {
    const view = onlyRow(escu('Processes.user Processes.dest Processes.process Processes.process_guid'), processEvent(0, { user: 'bob' }))
    expect(view.fields).toMatchObject({ user: 'bob', dest: 'unknown', process_guid: 'null' })
    expect(view.risk.map((r) => [r.object, r.type, r.score])).toEqual([
      ['bob', 'user', 40],
      ['unknown', 'system', 60],
    ])
    expect(view.threatObjects).toEqual([])
  })

  it('fills $field$ tokens from the row, leaving tokens that name no column verbatim', () => {
    const view = onlyRow(
      escu('Processes.user Processes.dest Processes.process Processes.process_guid'),
      processEvent(0, { user: 'bob', dest: 'h1', process: 'a.exe -x', process_guid: '{G}' }),
      processEvent(5, { user: 'bob', dest: 'h1', process: 'a.exe -x', process_guid: '{G}' }),
    )
    expect(view.risk[0]!.message).toBe('Seen a.exe -x on h1 by bob ($missing$), 2 times')
    expect(view.threatObjects).toEqual([{ value: '{G}', type: 'process_guid' }])
  })

  it('omits risk entirely for a rule without rba and reports unknown ATT&CK ids by id', () => {
    const rule = escu('Processes.dest', {
      rba: null,
      tags: { analyticStories: [], mitreAttackIds: ['T1059.001', 'T1999'], securityDomain: null, assetType: null, product: [] },
    })
    const view = onlyRow(rule, processEvent(0, { dest: 'h' }))
    expect(view.risk).toEqual([])
    expect(view.mitre).toEqual([
      { id: 'T1059.001', name: 'PowerShell', tactics: ['Execution'] },
      { id: 'T1999', name: 'T1999', tactics: [] },
    ])
  })

  it('adds "aggregates" only for non-standard aggregations, with values() lists and epoch-second times', () => {
    const rule = compileRule(
      ruleWith(
        '| tstats count min(_time) as firstTime max(_time) as lastTime values(Processes.process) as process from datamodel=Endpoint.Processes by Processes.dest | `drop_dm_object_name(Processes)` | `security_content_ctime(firstTime)`',
        { rba: { message: 'ran $process$', riskObjects: [{ field: 'process', type: 'other', score: 5 }], threatObjects: [] } },
      ),
      createMacroSet(),
    )
    expect(rule.standardAggregations).toBe(false)
    const view = onlyRow(rule, processEvent(1_500, { dest: 'h', process: 'b' }), processEvent(61_000, { dest: 'h', process: 'a' }))
    expect(view.firstTime).toBe('1970-01-01T00:00:01')
    expect(view.lastTime).toBe(61)
    expect(view.aggregates).toEqual({ count: 2, firstTime: '1970-01-01T00:00:01', lastTime: 61, process: ['a', 'b'] })
    expect(view.risk.map((r) => r.object)).toEqual(['a', 'b'])
    expect(view.risk[0]!.message).toBe('ran a, b')
    expect('aggregates' in onlyRow(escu('Processes.dest'), processEvent(0, {}))).toBe(false)
  })
})

describe('bundled ATT&CK table', () => {
  it('is versioned and covers the seed techniques and sub-techniques', () => {
    expect(ATTACK_VERSION).toMatch(/^ATT&CK Enterprise v\d+\.\d+$/)
    expect(lookupTechniques(['T1572', 'T1090', 'T1102', 'T1218.011']).map((t) => [t.name, t.tactics])).toEqual([
      ['Protocol Tunneling', ['Command And Control']],
      ['Proxy', ['Command And Control']],
      ['Web Service', ['Command And Control']],
      ['Rundll32', ['Defense Evasion']],
    ])
  })

  it('returns copies, so callers cannot corrupt the table', () => {
    lookupTechniques(['T1572'])[0]!.tactics.push('Impact')
    expect(lookupTechniques(['T1572'])[0]!.tactics).toEqual(['Command And Control'])
  })
})
