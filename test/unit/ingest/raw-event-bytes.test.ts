import { gzipSync } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import { rawEventText, type IngestItem } from '../../../src/ingest/index.js'
import { events, fixture, readAll } from './helpers/read.js'

// Every event item names the bytes of its own text in the (decompressed) input: exactly one
// `<Event>…</Event>` or one JSON object, whatever else shares its lines. The proof used here is
// the strongest available: those bytes, read again on their own, give back the same event — and
// they start and end where an event's text must.

type EventItem = Extract<IngestItem, { kind: 'event' }>

async function checkRawSpans(input: Buffer, decompressed = input, sizes?: number[]): Promise<EventItem[]> {
  const found = events(await readAll(input, {}, sizes))
  expect(found.length).toBeGreaterThan(0)
  for (const item of found) {
    const raw = decompressed.subarray(item.rawOffset, item.rawOffset + item.rawLength)
    const text = rawEventText(raw)
    expect(text, `line ${item.line}`).toMatch(/^(<Event[\s>/][\s\S]*<\/Event\s*>|\{[\s\S]*\})$/)
    const again = events(await readAll(raw))
    expect(again, `line ${item.line}`).toHaveLength(1)
    expect(again[0]!.event).toEqual(item.event)
    expect(again[0]!.key).toBe(item.key)
  }
  return found
}

const utf16 = (text: string, bigEndian: boolean): Buffer => {
  const le = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')])
  return bigEndian ? Buffer.from(le).swap16() : le
}

describe('raw bytes of each event', () => {
  it.each([
    'sysmon/ngrok-synthetic.xml',
    'sysmon/escu-example.xml',
    'security-4688/ngrok-synthetic.xml',
    'crowdstrike/ngrok-synthetic.ndjson',
    'crowdstrike/escu-example.ndjson',
    'json/winlogbeat-8.ndjson',
    'json/winlogbeat-6.ndjson',
    'json/nxlog.ndjson',
    'json/evtx-dump.json',
    'malformed/truncated.xml',
    'malformed/doctype-xxe.xml',
    'malformed/invalid-json.ndjson',
  ])('%s: each event is exactly its own bytes', async (path) => {
    await checkRawSpans(fixture(path))
  })

  it('is the line itself for one event per line (fast path and NDJSON), without the newline', async () => {
    const xml = fixture('sysmon/ngrok-synthetic.xml')
    const lines = xml.toString('utf8').split('\n')
    for (const item of await checkRawSpans(xml)) expect(rawEventText(xml.subarray(item.rawOffset, item.rawOffset + item.rawLength))).toBe(lines[item.line - 1])
  })

  it('cuts pretty-printed evtx_dump objects out exactly, also two on one line (`}{`)', async () => {
    const json = fixture('json/evtx-dump.json')
    const found = await checkRawSpans(json)
    // Objects 3 and 4 share a line (`}{`): the first ends right before the second's `{`.
    const beforeAnother = found.filter((e) => json[e.rawOffset + e.rawLength] === 0x7b)
    expect(beforeAnother).toHaveLength(1)
    // A multi-line object keeps its line breaks and indentation.
    expect(rawEventText(json.subarray(found[0]!.rawOffset, found[0]!.rawOffset + found[0]!.rawLength))).toMatch(/^\{\n {2}"Event": \{/)
  })

  it('finds each event of a line holding several, with non-ASCII text before and inside them', async () => {
    const lines = fixture('sysmon/ngrok-synthetic.xml').toString('utf8').split('\n')
    const unicode = (l: string) => l.replace('CORP\\alice', 'CORP\\jürgen😀').replace('CORP\\dave', 'CORP\\Ωmega')
    const text = `<?xml version="1.0" encoding="UTF-8"?><Events>${unicode(lines[1]!)}${unicode(lines[6]!)}${lines[4]!}</Events>\n  ${unicode(lines[7]!)}  \n`
    const found = await checkRawSpans(Buffer.from(text))
    expect(found.map((e) => e.event.user)).toEqual(['jürgen😀', 'Ωmega', 'svc_tunnel', 'jürgen😀'])
  })

  it('finds events that saxes reads (strict path) and multi-line events, with the tags and line breaks as uploaded', async () => {
    const lines = fixture('sysmon/ngrok-synthetic.xml').toString('utf8').split('\n')
    // A comment sends the line to the strict path; line breaks between tags make a multi-line
    // event; a second event starts right after the first one's `</Event>`.
    const strictLine = lines[1]!.replace('<EventData>', '<EventData><!-- é -->')
    const pretty = lines[4]!.replaceAll('><', '>\r\n  <')
    const text = `${strictLine}\n<Events>\n${pretty}${lines[6]!.replaceAll('><Data', '>\n<Data')}\n</Events>\n`
    const found = await checkRawSpans(Buffer.from(text))
    expect(found).toHaveLength(3)
    const raws = found.map((e) => rawEventText(Buffer.from(text).subarray(e.rawOffset, e.rawOffset + e.rawLength)))
    expect(raws[0]).toBe(strictLine)
    expect(raws[1]).toBe(pretty)
    expect(raws[2]).toBe(lines[6]!.replaceAll('><Data', '>\n<Data'))
  })

  it('counts bytes of the decompressed input, for gzip uploads, CRLF lines, a UTF-8 BOM and small chunks', async () => {
    const xml = fixture('sysmon/ngrok-synthetic.xml')
    const crlf = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(xml.toString('utf8').replaceAll('\n', '\r\n'))])
    await checkRawSpans(crlf, crlf, [7, 4096, 13])
    await checkRawSpans(gzipSync(crlf), crlf)
    const ndjson = fixture('crowdstrike/ngrok-synthetic.ndjson')
    await checkRawSpans(gzipSync(ndjson), ndjson, [100])
  })

  it('counts bytes of UTF-16 input (LE and BE, with a BOM) and decodes the raw text in its encoding', async () => {
    for (const path of ['security-4688/ngrok-synthetic.xml', 'json/evtx-dump.json']) {
      const text = fixture(path).toString('utf8')
      for (const bigEndian of [false, true]) {
        const input = utf16(text, bigEndian)
        const found = await checkRawSpans(input, input, [1001])
        const first = found[0]!
        expect(first.rawOffset).toBe(2 + 2 * text.indexOf(path.endsWith('.xml') ? '<Event' : '{'))
      }
    }
  })
})
