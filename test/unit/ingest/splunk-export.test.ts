import { describe, expect, it } from 'vitest'
import { type IngestItem } from '../../../src/ingest/index.js'
import { events, fixture, readAll, summary } from './helpers/read.js'

/**
 * Events exported from Splunk as JSON (`splunk search … -output json`, the REST export, the UI's
 * JSON export): each line an object whose `result._raw` is the event as Splunk indexed it. The
 * XmlWinEventLog and CrowdStrike events inside read exactly as the same events uploaded as they are.
 */

type EventItem = Extract<IngestItem, { kind: 'event' }>
const comparable = (found: EventItem[]) => found.map((e) => ({ source: e.source, key: e.key, event: e.event, line: e.line }))

const xmlLines = [
  fixture('sysmon/escu-example.xml').toString('utf8').trim(),
  fixture('security-4688/escu-example.xml').toString('utf8').trim(),
  ...fixture('sysmon/ngrok-synthetic.xml')
    .toString('utf8')
    .split('\n')
    .filter((l) => l.trimEnd().endsWith('</Event>'))
    .slice(0, 6),
]
const fdrLines = fixture('crowdstrike/ngrok-synthetic.ndjson').toString('utf8').trim().split('\n')

const exported = (raw: string, i: number, sourcetype: string) =>
  JSON.stringify({ preview: false, offset: i, result: { _bkt: 'main~1~X', _cd: `1:${i}`, _raw: raw, _time: '2026-03-16T14:05:09.000+00:00', host: 'WS-DEV04', index: 'main', source: 'XmlWinEventLog:Security', sourcetype, splunk_server: 'idx1' } })

describe('Splunk JSON exports', () => {
  it('XmlWinEventLog and CrowdStrike events in _raw read as the same events uploaded as they are, each pointing at its own export line', async () => {
    const input = [...xmlLines.map((l, i) => exported(l, i, 'XmlWinEventLog')), ...fdrLines.map((l, i) => exported(l, 100 + i, 'crowdstrike:events:sensor'))].join('\n')
    const items = await readAll(input)
    expect(items.filter((i) => i.kind === 'error')).toEqual([])
    const reference = [...events(await readAll(xmlLines.join('\n'))), ...events(await readAll(fdrLines.join('\n'))).map((e) => ({ ...e, line: e.line + xmlLines.length }))]
    expect(comparable(events(items))).toEqual(comparable(reference))
    const bytes = Buffer.from(input)
    for (const e of events(items)) {
      const line = JSON.parse(bytes.subarray(e.rawOffset, e.rawOffset + e.rawLength).toString('utf8')) as { result: { _raw: string } }
      expect(typeof line.result._raw).toBe('string')
    }
    // The same in any chunking, and as the bare `result` objects.
    for (const sizes of [[1], [7, 400]]) expect(await readAll(input, {}, sizes)).toEqual(items)
    const bare = [...xmlLines, ...fdrLines].map((raw) => JSON.stringify({ _raw: raw, _time: '1', host: 'h' })).join('\n')
    expect(comparable(events(await readAll(bare)))).toEqual(comparable(reference))
  })

  it('reports a _raw that looks like JSON but is not, and skips a _raw that is neither XML nor JSON as another kind of event', async () => {
    const items = await readAll([JSON.stringify({ result: { _raw: '{"event_simpleName": ' } }), JSON.stringify({ result: { _raw: 'Mar 16 14:05:09 host sshd[1]: Accepted' } })].join('\n'))
    expect(summary(items)).toEqual(["1 error Splunk export: the event's _raw is not JSON: Unexpected end of JSON input at column 21", '2 skipped unsupported JSON rendering'])
  })

  it('an XML event in _raw that is broken is an error on its export line; the next line is read', async () => {
    const broken = xmlLines[0]!.replace('</Event>', '')
    const items = await readAll([exported(broken, 0, 'XmlWinEventLog'), exported(xmlLines[1]!, 1, 'XmlWinEventLog')].join('\n'))
    expect(summary(items)).toEqual(['1 error unexpected end of XML: <Event> not closed', '2 event security-4688'])
  })
})
