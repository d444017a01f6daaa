import { describe, expect, it } from 'vitest'
import { foldIngestItems, newIngestStats, type IngestItem } from '../../../src/ingest/index.js'
import { events, fixture, readAll, summary } from './helpers/read.js'

/**
 * Windows events in the JSON renderings shippers write normalize exactly like the XML they were
 * rendered from: test/fixtures/logs/json/* hold the synthetic Sysmon and 4688 fixtures (all but
 * the cut line 30) as Winlogbeat 8, Winlogbeat 6, NXLog and evtx_dump would write them.
 */

const xmlItems = async () => [
  ...(await readAll(fixture('sysmon/ngrok-synthetic.xml'))),
  ...(await readAll(fixture('security-4688/ngrok-synthetic.xml'))),
]
const byKey = (items: IngestItem[]) => new Map(events(items).map((i) => [i.key, i]))

const SYSMON = 'Microsoft-Windows-Sysmon/Operational'
const sysmonData = { UtcTime: '2026-03-14 09:12:03.461', Image: 'C:\\x\\ngrok.exe', CommandLine: 'ngrok.exe http 80', ProcessGuid: '{8C2F1A4E-1002-69B5-0002-000000003F00}', ProcessId: '7344' }

describe('JSON renderings of Windows events', () => {
  it.each(['winlogbeat-8.ndjson', 'winlogbeat-6.ndjson', 'nxlog.ndjson', 'evtx-dump.json'])('%s: the same CIM events, skips and keys as the XML', async (file) => {
    const xml = await xmlItems()
    const json = await readAll(fixture(`json/${file}`))
    expect(json.filter((i) => i.kind === 'error')).toEqual([])
    expect(events(json)).toHaveLength(42)
    const expected = byKey(xml)
    for (const item of events(json)) {
      expect(item.source).toBe(expected.get(item.key)!.source)
      expect(item.event).toEqual(expected.get(item.key)!.event)
    }
    expect(foldIngestItems(newIngestStats(), json).skippedByKind).toEqual({ 'sysmon:3': 2, 'sysmon:11': 1, 'security:4624': 1 })
    expect(foldIngestItems(newIngestStats(), xml).skippedByKind).toEqual({ 'sysmon:3': 2, 'sysmon:11': 1, 'security:4624': 1 })
  })

  it('evtx_dump --separate-json-attributes (what Chainsaw prints, here as a JSON array): the same events as the default rendering', async () => {
    // `"X": {"#attributes": {…}, "#text": v}` becomes `"X_attributes": {…}, "X": v` (null without text).
    const separate = (o: unknown): unknown => {
      if (typeof o !== 'object' || o === null || Array.isArray(o)) return o
      const out: Record<string, unknown> = {}
      for (const [k, v] of Object.entries(o)) {
        const attributes = typeof v === 'object' && v !== null ? (v as Record<string, unknown>)['#attributes'] : undefined
        if (attributes === undefined) out[k] = separate(v)
        else {
          const { '#attributes': _, '#text': text, ...rest } = v as Record<string, unknown>
          out[`${k}_attributes`] = attributes
          out[k] = text !== undefined ? text : Object.keys(rest).length > 0 ? separate(rest) : null
        }
      }
      return out
    }
    const stream = fixture('json/evtx-dump.json')
    const plain = await readAll(stream)
    const objects = events(plain).map((e) => separate(JSON.parse(stream.subarray(e.rawOffset!, e.rawOffset! + e.rawLength!).toString('utf8'))))
    const text = JSON.stringify(objects)
    expect(text).toContain('"TimeCreated_attributes":{"SystemTime":')
    expect(text).not.toContain('#attributes')
    const chainsaw = await readAll(text)
    expect(chainsaw.filter((i) => i.kind === 'error')).toEqual([])
    expect(events(chainsaw).map((e) => [e.source, e.key, e.event])).toEqual(events(plain).map((e) => [e.source, e.key, e.event]))
  })

  it('reads the same with format ndjson, and in any chunking', async () => {
    const whole = await readAll(fixture('json/evtx-dump.json'))
    expect(await readAll(fixture('json/evtx-dump.json'), { format: 'ndjson' })).toEqual(whole)
    expect(await readAll(fixture('json/evtx-dump.json'), {}, [1, 7, 4096])).toEqual(whole)
    // Items carry the line where their object starts; objects 3 and 4 meet on one line (`}{`).
    expect(whole.slice(0, 4).map((i) => i.line)).toEqual([1, 67, 133, 198])
  })

  it('Winlogbeat: keywords by name, @timestamp as the System time, user.identifier as user_id', async () => {
    const doc = (winlog: object, ts = '2026-03-14T09:12:03.461Z') => JSON.stringify({ '@timestamp': ts, winlog })
    const e4688 = { channel: 'Security', event_id: '4688', computer_name: 'h', record_id: 9, event_data: { NewProcessName: 'C:\\a\\b.exe', CommandLine: 'b.exe -x', ProcessId: '0x10' } }
    const [ok, failed, other, sysmon] = events(
      await readAll([doc({ ...e4688, keywords: ['Audit Success'] }), doc({ ...e4688, keywords: ['Audit Failure'] }), doc({ ...e4688, keywords: ['Classic'] }), doc({ channel: SYSMON, event_id: 1, user: { identifier: 'S-1-5-18' }, event_data: { Image: 'C:\\b.exe' } })].join('\n')),
    )
    expect([ok!.event.action, failed!.event.action, other!.event.action]).toEqual(['allowed', 'blocked', null])
    expect(ok!.event).toMatchObject({ _time: Date.UTC(2026, 2, 14, 9, 12, 3, 461), process: 'C:\\a\\b.exe -x', parent_process_id: '0x10', dest: 'h' })
    expect(ok!.key).toBe('h|Security|9')
    expect(sysmon!.event).toMatchObject({ _time: Date.UTC(2026, 2, 14, 9, 12, 3, 461), user_id: 'S-1-5-18', process_name: 'b.exe' })
  })

  it('a process creation without its event-data container is an error, not an empty event', async () => {
    const text = [
      JSON.stringify({ '@timestamp': '2026-03-14T09:12:03Z', winlog: { channel: 'Security', event_id: 4688 }, process: { name: 'b.exe' } }),
      JSON.stringify({ '@timestamp': '2026-03-14T09:12:03Z', winlog: { channel: 'Security', event_id: 4624 } }),
    ].join('\n')
    expect(summary(await readAll(text))).toEqual(['1 error Winlogbeat event (Security EventID 4688) has no winlog.event_data', '2 skipped Security EventID 4624 is not a process creation'])
  })

  it('flat JSON (NXLog, OTRF, Azure): signed decimal Keywords, System time preferences, nested EventData', async () => {
    const flat = (o: object) => JSON.stringify({ EventID: 4688, Channel: 'Security', Hostname: 'h', NewProcessName: 'C:\\a.exe', ...o })
    const items = events(
      await readAll(
        [
          flat({ Keywords: -9214364837600034816, EventTime: '2026-03-14 10:12:03', '@timestamp': '2026-03-14T09:12:04.100Z' }), // zoned @timestamp beats zone-less EventTime
          flat({ Keywords: '-9218868437227405312', EventTime: '2026-03-14T10:12:03.250+01:00', '@timestamp': '2026-03-14T09:12:04.100Z' }), // EventTime with an offset wins
          flat({ Keywords: '0x8020000000000000', TimeCreated: '2026-03-14 09:12:03.5' }), // only a zone-less time: read as UTC
          flat({ Computer: 'az', TimeGenerated: '2026-03-14T09:12:03.75Z', EventData: JSON.stringify({ NewProcessName: 'C:\\nested.exe', TargetUserName: 'bob' }) }),
        ].join('\n'),
      ),
    ).map((i) => i.event)
    expect(items.map((e) => e._time)).toEqual([Date.UTC(2026, 2, 14, 9, 12, 4, 100), Date.UTC(2026, 2, 14, 9, 12, 3, 250), Date.UTC(2026, 2, 14, 9, 12, 3, 500), Date.UTC(2026, 2, 14, 9, 12, 3, 750)])
    expect(items.map((e) => e.action)).toEqual(['allowed', 'blocked', 'allowed', null])
    expect(items[3]).toMatchObject({ dest: 'az', process_path: 'C:\\nested.exe', user: 'bob' })
  })

  it('evtx_dump: #text values, numbers as text, braces back on bare GUIDs of *Guid fields only', async () => {
    const system = { EventID: { '#attributes': { Qualifiers: 0 }, '#text': 1 }, Channel: SYSMON, Computer: 'h', EventRecordID: 5, TimeCreated: { '#attributes': { SystemTime: '2026-03-14T09:12:03.461234Z' } }, Security: null }
    const data = { ...sysmonData, ProcessGuid: '8C2F1A4E-1002-69B5-0002-000000003F00', ParentProcessGuid: '{8C2F1A4E-1003-69B5-0003-000000003F00}', ProcessId: 7344, CommandLine: '8C2F1A4E-1002-69B5-0002-000000003F00', Hashes: null }
    const [item] = events(await readAll(JSON.stringify({ Event: { System: system, EventData: data } })))
    expect(item!.event).toMatchObject({
      process_guid: '{8C2F1A4E-1002-69B5-0002-000000003F00}',
      parent_process_guid: '{8C2F1A4E-1003-69B5-0003-000000003F00}',
      process: '8C2F1A4E-1002-69B5-0002-000000003F00',
      process_id: '7344',
      process_hash: null,
      user_id: null,
    })
    expect(item!.key).toBe(`h|${SYSMON}|5`)
  })

  it('skips other JSON as json:unsupported and keeps counting per kind', async () => {
    const items = await readAll(['{"msg":"hello"}', '{"event_simpleName":"DnsRequest","timestamp":"1"}', '{"Event":{"System":{"EventID":11,"Channel":"Microsoft-Windows-Sysmon/Operational"}}}'].join('\n'))
    expect(foldIngestItems(newIngestStats(), items).skippedByKind).toEqual({ 'json:unsupported': 1, 'crowdstrike:DnsRequest': 1, 'sysmon:11': 1 })
  })

  it('never reads inherited properties as fields', async () => {
    const [item] = events(await readAll(JSON.stringify({ EventID: 1, Channel: SYSMON, UtcTime: '2026-03-14 09:12:03.461', Image: 'C:\\a.exe' })))
    // `constructor`, `toString`… exist on every object's prototype; a lookup must not return them.
    expect(item!.event).toMatchObject({ process: 'unknown', process_guid: null, user: 'unknown' })
    expect(summary(await readAll('{"EventID":{"#text":"toString"},"Channel":"Security"}'))).toEqual(["1 error Windows event has a non-numeric EventID 'toString'"])
  })
})
