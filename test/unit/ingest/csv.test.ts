import { gzipSync } from 'node:zlib'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { csvFields } from '../../../src/ingest/csv/csv-fields.js'
import { detectFormat, type IngestItem } from '../../../src/ingest/index.js'
import { events, fixture, readAll, summary } from './helpers/read.js'

/**
 * CSV exports of events: a header naming the columns, then one event a record, read like the JSON
 * object of its columns. The fixtures (test/fixtures/logs/README.md) are the synthetic ngrok
 * fixtures exported as Splunk (`_raw`), CrowdStrike's event search (`event_simpleName`) and Kibana
 * (Winlogbeat documents, dotted column names) write CSV: each must give the events its source gives.
 */

type EventItem = Extract<IngestItem, { kind: 'event' }>
const comparable = (found: EventItem[]) => found.map((e) => ({ source: e.source, key: e.key, event: e.event }))

const EXPORTS: [string, string, Buffer][] = [
  ['Splunk "Export → CSV" of XmlWinEventLog events', 'csv/splunk-export.csv', Buffer.concat([fixture('sysmon/ngrok-synthetic.xml'), fixture('security-4688/ngrok-synthetic.xml')])],
  ['CrowdStrike event search export', 'csv/crowdstrike-export.csv', fixture('crowdstrike/ngrok-synthetic.ndjson')],
  ['Kibana export of Winlogbeat 8 documents (dotted columns)', 'csv/kibana-winlogbeat-8.csv', fixture('json/winlogbeat-8.ndjson')],
]

const HEADER = '"_time","host","_raw"'
const sysmonLine = (n: number): string => fixture('sysmon/ngrok-synthetic.xml').toString('utf8').split('\n').filter((l) => l.startsWith('<Event'))[n]!
const quoted = (s: string): string => `"${s.replaceAll('"', '""')}"`

describe('CSV exports', () => {
  it.each(EXPORTS)('%s: the events of its source, under any chunking', async (_, path, source) => {
    const expected = comparable(events(await readAll(source)))
    expect(expected.length).toBeGreaterThan(5)
    for (const sizes of [[], [1, 7, 4096], [333]]) expect(comparable(events(await readAll(fixture(path), {}, sizes)))).toEqual(expected)
    expect(detectFormat(fixture(path).subarray(0, 300))).toBe('csv')
  })

  it.each(EXPORTS)('%s: each event\'s bytes are its whole record, and every record is an event or a skip', async (_, path) => {
    const file = fixture(path)
    const items = await readAll(file)
    const header = csvFields(file.toString('utf8').split('\r\n')[0]!) as string[]
    const records = file.toString('utf8').trimEnd().split('\r\n').length - 1
    expect(items.filter((i) => i.kind !== 'error')).toHaveLength(records - items.filter((i) => i.kind === 'error').length)
    for (const e of events(items)) {
      const record = file.subarray(e.rawOffset, e.rawOffset + e.rawLength).toString('utf8')
      expect(file.subarray(e.rawOffset - 2, e.rawOffset).toString()).toBe('\r\n')
      expect(csvFields(record)).toHaveLength(header.length)
    }
  })

  it('a quoted field spans lines (a multi-line _raw); quotes doubled; CRLF or LF; a BOM; gzip or UTF-16', async () => {
    const pretty = sysmonLine(0).replaceAll('><', '>\r\n  <')
    const csv = `\uFEFF${HEADER}\r\n"2026-03-14T08:58:11Z","WS-ALICE01",${quoted(pretty)}\r\n"2026-03-14T08:58:12Z",WS-ALICE01,${quoted(sysmonLine(1))}\n`
    const items = await readAll(csv)
    const expected = comparable(events(await readAll(`${sysmonLine(0)}\n${sysmonLine(1)}\n`)))
    expect(comparable(events(items))).toEqual(expected)
    expect(events(items).map((e) => e.line)).toEqual([2, pretty.split('\r\n').length + 2])
    const first = events(items)[0]!
    expect(Buffer.from(csv).subarray(first.rawOffset, first.rawOffset + first.rawLength).toString()).toBe(`"2026-03-14T08:58:11Z","WS-ALICE01",${quoted(pretty)}`)
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(csv.slice(1), 'utf16le')])
    expect(comparable(events(await readAll(utf16, {}, [3, 100])))).toEqual(expected)
    expect(comparable(events(await readAll(gzipSync(csv), {}, [50])))).toEqual(expected)
  })

  it('an empty field is a missing field: the CIM default, never an empty value', async () => {
    const csv = `EventID,Channel,Computer,EventRecordID,TimeCreated,Image,CommandLine,User,ParentImage\nEventID-less,,,,,,,,\n1,Microsoft-Windows-Sysmon/Operational,WS1,7,2026-03-14T08:58:11Z,C:\\t\\ngrok.exe,ngrok.exe tcp 22,,\n`
    const [bad, event] = await readAll(csv)
    // Read as its JSON object would be.
    expect(bad).toEqual({ kind: 'error', line: 2, offset: csv.indexOf('EventID-less'), message: "Windows event has a non-numeric EventID 'EventID-less'" })
    expect(event).toMatchObject({ kind: 'event', source: 'sysmon', line: 3, event: { process_name: 'ngrok.exe', process: 'ngrok.exe tcp 22', dest: 'WS1', user: 'unknown', parent_process_name: 'unknown' } })
  })

  it('reports a record with the wrong number of fields, a misplaced quote, a quoted field never closed; the records around them are read', async () => {
    const csv = [HEADER, `"t1","h",${quoted(sysmonLine(0))}`, `"t2","h"`, `"t3"x,"h",${quoted(sysmonLine(1))}`, `"t4","h",${quoted(sysmonLine(2))}`, `"t5","h","<Event never closed`, 'more text', ''].join('\n')
    expect(summary(await readAll(csv))).toEqual([
      '2 event sysmon',
      '3 error CSV record has 2 field(s), the header 3',
      '4 error invalid CSV record: a comma or the end of the record must follow the closing quote at column 4',
      '5 event sysmon',
      '6 error CSV record not closed: a quoted field opened in it never ends (the file ends first)',
    ])
  })

  it('column names are only ever field names: __proto__ and constructor.prototype reach no prototype', async () => {
    const csv = 'EventID,Channel,Computer,EventRecordID,TimeCreated,__proto__.polluted,constructor.prototype.polluted,__proto__,Image\n1,Microsoft-Windows-Sysmon/Operational,WS1,7,2026-03-14T08:58:11Z,yes,yes,x,C:\\t\\ngrok.exe\n'
    const items = await readAll(csv)
    expect(items).toMatchObject([{ kind: 'event', event: { process_name: 'ngrok.exe', dest: 'WS1' } }])
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
    expect(Object.prototype).not.toHaveProperty('polluted')
  })

  it('only a first line naming event fields makes a file CSV: other text with commas stays unrecognized', async () => {
    for (const text of ['hello, world\nEventID,Channel\n', 'path,id,name\nrules/a.yml,1,A\n', ' , \n']) {
      const items = await readAll(text)
      expect(items.every((i) => i.kind === 'error' && i.message.startsWith('unrecognized line'))).toBe(true)
      expect(detectFormat(Buffer.from(text))).toBe('unknown')
    }
    // A header alone is an empty export.
    expect(await readAll(`${HEADER}\r\n`)).toEqual([])
  })

  it('never throws on damaged exports (fuzzed quotes, commas, line breaks and cuts), and every event points inside the file', async () => {
    const file = fixture('csv/splunk-export.csv').subarray(0, 6000)
    const damage = fc.array(fc.tuple(fc.nat(file.length - 1), fc.constantFrom(0x22, 0x2c, 0x0a, 0x0d, 0x3c, 0x41)), { minLength: 1, maxLength: 12 })
    await fc.assert(
      fc.asyncProperty(damage, fc.nat(file.length), async (flips, cut) => {
        const damaged = Buffer.from(file.subarray(0, Math.max(cut, 50)))
        for (const [at, value] of flips) if (at < damaged.length) damaged[at] = value
        for (const e of events(await readAll(damaged, {}, [97]))) expect(e.rawOffset + e.rawLength).toBeLessThanOrEqual(damaged.length)
      }),
      { numRuns: 200 },
    )
  })
})
