import { describe, expect, it } from 'vitest'
import {
  CIM_PROCESS_FIELDS,
  DetectionAggregator,
  compileRule,
  createMacroSet,
  ctime,
  describeDetection,
  parseRuleDocuments,
  type ExtractedProcessFields,
} from '../../../src/detection/index.js'
import { fixture, NGROK_EVENT_BASE, NGROK_T0, processEvent, seedRule } from './helpers.js'

/**
 * The reference rule, ESCU "Windows Ngrok Reverse Proxy Usage" v11, end to end: import, compile,
 * match hand-built Sysmon-like events, group, and render the detection view.
 */

const ngrok = (process: string, extra: ExtractedProcessFields = {}, time = NGROK_T0) => processEvent(time, { ...NGROK_EVENT_BASE, process, ...extra })

describe('seed rule: Windows Ngrok Reverse Proxy Usage (v11)', () => {
  const rule = seedRule()
  const compiled = compileRule(rule, createMacroSet())

  it('imports the v11 YAML with its rba block, tags and filter macro name', () => {
    expect(rule).toMatchObject({
      id: 'e2549f2c-0aef-408a-b0c1-e0f270623436',
      name: 'Windows Ngrok Reverse Proxy Usage',
      version: 11,
      date: '2026-03-10',
      type: 'Anomaly',
      filterMacroName: 'windows_ngrok_reverse_proxy_usage_filter',
    })
    expect(rule.rba?.riskObjects).toEqual([
      { field: 'user', type: 'user', score: 20 },
      { field: 'dest', type: 'system', score: 20 },
    ])
    expect(rule.rba?.threatObjects.map((t) => t.field)).toEqual(['parent_process_name', 'process_name'])
    expect(rule.tags.mitreAttackIds).toEqual(['T1572', 'T1090', 'T1102'])
    expect(rule.drilldowns).toHaveLength(2)
    expect(rule.yaml).toBe(fixture('windows_ngrok_reverse_proxy_usage.yml'))
  })

  it('compiles to the 20 standard BY fields, ESCU fillnull and ctime on both times', () => {
    expect(compiled.byFields).toEqual([...CIM_PROCESS_FIELDS])
    expect(compiled.fillnullValue).toBe('null')
    expect(compiled.ctimeFields).toEqual(['firstTime', 'lastTime'])
    expect(compiled.aggregations.map((a) => [a.kind, a.outputName])).toEqual([
      ['count', 'count'],
      ['min', 'firstTime'],
      ['max', 'lastTime'],
    ])
  })

  it.each([
    ['ngrok.exe start --all', {}],
    ['ngrok.exe http 80 --config C:\\ngrok.yml', {}],
    ['ngrok.exe authtoken 2abcDEF', {}],
    ['ngrok.exe tcp 3389', {}],
    ['"C:\\Tools\\NGROK.EXE" TCP 3389', { process_name: 'NGROK.EXE' }],
  ])('matches %s', (process, extra) => {
    expect(compiled.matches(ngrok(process, extra))).toBe(true)
  })

  it('does not match `ngrok.exe version` or a tunnel tool with another name', () => {
    expect(compiled.matches(ngrok('ngrok.exe version'))).toBe(false)
    expect(compiled.matches(ngrok('tunnel.exe tcp 3389', { process_name: 'tunnel.exe' }))).toBe(false)
  })

  it('groups identical BY tuples into one row with count and first/last time', () => {
    const agg = new DetectionAggregator([compiled])
    agg.add(ngrok('ngrok.exe tcp 3389', {}, NGROK_T0 + 60_000))
    agg.add(ngrok('ngrok.exe tcp 3389', {}, NGROK_T0))
    agg.add(ngrok('ngrok.exe tcp 3389', {}, NGROK_T0 + 5_000))
    agg.add(ngrok('ngrok.exe version', {}, NGROK_T0 + 1))
    const rows = agg.rows()
    expect(rows).toHaveLength(1)
    expect(rows[0]).toMatchObject({ count: 3, firstTime: NGROK_T0, lastTime: NGROK_T0 + 60_000 })
  })

  it('fills null plain BY fields with "null" and keeps CIM "unknown"', () => {
    const agg = new DetectionAggregator([compiled])
    agg.add(processEvent(NGROK_T0, { process: 'ngrok.exe http 8080', process_name: 'ngrok.exe' }))
    const [row] = agg.rows()
    expect(row!.fields).toMatchObject({
      action: 'null',
      parent_process_guid: 'null',
      process_hash: 'null',
      user_id: 'null',
      dest: 'unknown',
      user: 'unknown',
      original_file_name: 'unknown',
      vendor_product: 'xmlwineventlog',
    })
  })

  it('renders risk, threat objects, MITRE and ctime exactly', () => {
    const agg = new DetectionAggregator([compiled])
    agg.add(ngrok('ngrok.exe tcp 3389'))
    agg.add(ngrok('ngrok.exe tcp 3389', {}, NGROK_T0 + 90_500))
    const view = describeDetection(agg.rows()[0]!)
    const message = 'A reverse proxy was identified spawning from cmd.exe -  ngrok.exe on endpoint win-dc-01.corp.local by user alice.'
    expect(view.rule).toEqual({ id: 'e2549f2c-0aef-408a-b0c1-e0f270623436', name: 'Windows Ngrok Reverse Proxy Usage' })
    expect(view.count).toBe(2)
    expect(view.firstTime).toBe('2024-04-22T16:59:33')
    expect(view.lastTime).toBe('2024-04-22T17:01:03')
    expect(view.risk).toEqual([
      { object: 'alice', type: 'user', score: 20, message },
      { object: 'win-dc-01.corp.local', type: 'system', score: 20, message },
    ])
    expect(view.threatObjects).toEqual([
      { value: 'cmd.exe', type: 'parent_process_name' },
      { value: 'ngrok.exe', type: 'process_name' },
    ])
    expect(view.mitre).toEqual([
      { id: 'T1572', name: 'Protocol Tunneling', tactics: ['Command And Control'] },
      { id: 'T1090', name: 'Proxy', tactics: ['Command And Control'] },
      { id: 'T1102', name: 'Web Service', tactics: ['Command And Control'] },
    ])
    expect(view.fields.process_integrity_level).toBe('medium')
    expect(Object.keys(view)).toEqual(['rule', 'fields', 'count', 'firstTime', 'lastTime', 'risk', 'threatObjects', 'mitre'])
  })

  it('formats ctime as %Y-%m-%dT%H:%M:%S in UTC without fraction', () => {
    expect(ctime(NGROK_T0)).toBe('2024-04-22T16:59:33')
    expect(ctime(Date.UTC(1999, 11, 31, 23, 59, 59, 999))).toBe('1999-12-31T23:59:59')
    expect(ctime(0)).toBe('1970-01-01T00:00:00')
  })

  it('applies a tenant _filter override (search user!=svc_tunnel) after grouping', () => {
    const override = parseRuleDocuments(fixture('tenant_filter_override.yml'))
    expect(override.errors).toEqual([])
    const filtered = compileRule(rule, createMacroSet(override.macros))
    for (const c of [compiled, filtered]) {
      const agg = new DetectionAggregator([c])
      agg.add(ngrok('ngrok.exe tcp 3389', { user: 'svc_tunnel' }))
      agg.add(ngrok('ngrok.exe tcp 3389', { user: 'SVC_TUNNEL', dest: 'other-host' }))
      agg.add(ngrok('ngrok.exe tcp 3389', { user: 'bob' }))
      const users = agg.rows().map((r) => r.fields.user)
      if (c === compiled) expect(users.sort()).toEqual(['SVC_TUNNEL', 'bob', 'svc_tunnel'])
      else expect(users).toEqual(['bob'])
    }
  })

  it('imports the v5 YAML into the same rba shape (Victim → risk, Attacker → threat, risk_score)', () => {
    const v5 = parseRuleDocuments(fixture('ngrok_v5.yml'))
    expect(v5.errors).toEqual([])
    expect(v5.rules[0]!.rba).toEqual({
      message: rule.rba!.message,
      riskObjects: [
        { field: 'user', type: 'user', score: 50 },
        { field: 'dest', type: 'system', score: 50 },
      ],
      threatObjects: [
        { field: 'parent_process_name', type: 'process' },
        { field: 'process_name', type: 'process' },
      ],
    })
    expect(compileRule(v5.rules[0]!, createMacroSet()).byFields).toEqual([
      'dest',
      'user',
      'parent_process_name',
      'process_name',
      'original_file_name',
      'process',
      'process_id',
      'parent_process_id',
    ])
  })
})
