import { describe, expect, it } from 'vitest'
import { events, fixture, readAll, summary } from './helpers/read.js'

/** Windows XML layouts: one event per line, pretty-printed, wrapped, CRLF/BOM, entities, errors. */

const example = fixture('sysmon/escu-example.xml').toString('utf8')
const e4688 = fixture('security-4688/escu-example.xml').toString('utf8')
const NS = 'http://schemas.microsoft.com/win/2004/08/events/event'

/** A minimal Sysmon EventID 1 with the given Data elements (already XML-escaped). */
const sysmon = (data: string, recordId = 1, q = "'") =>
  `<Event xmlns=${q}${NS}${q}><System><EventID>1</EventID><TimeCreated SystemTime=${q}2026-01-01T00:00:00.000Z${q}/><EventRecordID>${recordId}</EventRecordID>` +
  `<Channel>Microsoft-Windows-Sysmon/Operational</Channel><Computer>h</Computer><Security UserID=${q}S-1-5-18${q}/></System>` +
  `<EventData><Data Name=${q}UtcTime${q}>2026-01-01 00:00:00.000</Data>${data}</EventData></Event>`

/** Pretty-prints one-line XML: every tag on its own line, indented. */
const pretty = (xml: string) => xml.replace(/></g, '>\n  <')

describe('Windows XML reader', () => {
  it('decodes entities and character references', async () => {
    const [item] = events(await readAll(sysmon("<Data Name='CommandLine'>a &amp; b &lt;c&gt; &quot;d&quot; &apos;e&apos; &#65;&#x42;&#13;&#10;&#x1F600;</Data>")))
    expect(item!.event.process).toBe(`a & b <c> "d" 'e' AB\r\n\u{1F600}`)
  })

  it('accepts double-quoted attributes (libevtx rendering) like single-quoted ones', async () => {
    const single = events(await readAll(sysmon("<Data Name='Image'>C:\\x\\a.exe</Data>")))
    const double = events(await readAll(sysmon('<Data Name="Image">C:\\x\\a.exe</Data>', 1, '"')))
    expect(double.map((i) => i.event)).toEqual(single.map((i) => i.event))
  })

  it('handles CRLF line endings and a UTF-8 BOM', async () => {
    const text = `\uFEFF${example}\r\n${e4688}\r\n`
    const items = await readAll(text)
    expect(summary(items)).toEqual(['1 event sysmon', '2 event security-4688'])
    expect(events(items)[0]!.event.process!.endsWith('security" ')).toBe(true)
  })

  it('reads pretty-printed events inside an <Events> wrapper with an XML declaration (wevtutil /f:xml style)', async () => {
    const flat = events(await readAll(`${example}\n${e4688}\n`)).map((i) => i.event)
    const text = `<?xml version="1.0" encoding="UTF-8"?>\r\n<Events>\r\n${pretty(example).replaceAll('\n', '\r\n')}\r\n${pretty(e4688)}\n</Events>\n`
    const items = await readAll(text)
    const starts = text.split('\n').flatMap((l, i) => (l.startsWith('<Event ') ? [i + 1] : []))
    expect(starts).toEqual([3, 45])
    expect(items.map((i) => i.line)).toEqual(starts)
    expect(events(items).map((i) => i.event)).toEqual(flat)
  })

  it('keeps line breaks inside multi-line values', async () => {
    const text = `<Event xmlns='${NS}'>\n<System><EventID>1</EventID><Channel>Microsoft-Windows-Sysmon/Operational</Channel></System>\n<EventData>\n<Data Name='UtcTime'>2026-01-01 00:00:00.000</Data>\n<Data Name='CommandLine'>first\n   second</Data>\n</EventData>\n</Event>\n`
    expect(events(await readAll(text))[0]!.event.process).toBe('first\n   second')
  })

  it('reads several events on one line, with or without the wrapper', async () => {
    const two = `${sysmon('', 1)}${sysmon('', 2)}`
    expect(summary(await readAll(two))).toEqual(['1 event sysmon', '1 event sysmon'])
    expect(summary(await readAll(`<Events>${sysmon('', 1)} ${sysmon('', 2)}</Events>`))).toEqual(['1 event sysmon', '1 event sysmon'])
  })

  it('falls back to saxes for CDATA, comments and odd spacing, with the same result', async () => {
    const plain = events(await readAll(sysmon("<Data Name='CommandLine'>x &lt;y&gt;</Data>")))[0]!.event
    for (const variant of [
      sysmon("<Data Name='CommandLine'><![CDATA[x <y>]]></Data>"),
      sysmon("<!-- c --><Data Name='CommandLine'>x &lt;y&gt;</Data>"),
      sysmon("<Data  Name = 'CommandLine' >x &lt;y&gt;</Data >"),
    ]) expect(events(await readAll(variant))[0]!.event).toEqual(plain)
  })

  it('reports malformed events with the line they start on, and keeps reading', async () => {
    const text = [
      example, // 1
      sysmon("<Data Name='CommandLine'>a & b</Data>"), // 2: bare &
      sysmon("<Data Name='CommandLine'>a</Dat>"), // 3: mismatched end tag
      sysmon("<Data Name='CommandLine'>&bogus;</Data>"), // 4: unknown entity
      example.slice(0, 900), // 5: truncated, the next line starts a new event
      e4688, // 6
      'not xml at all', // 7
      '<Foo/>', // 8
      `${example} trailing`, // 9
      e4688, // 10
    ].join('\n')
    expect(summary(await readAll(text))).toEqual([
      '1 event sysmon',
      '2 error XML error at line 2, column 415: unclosed tag: Data', // saxes reads `& b</Data>…` as an entity name
      '3 error XML error at line 3, column 390: unexpected close tag.',
      '4 error XML error at line 4, column 390: undefined entity.',
      '5 error unexpected end of XML: <Event> not closed (a new <Event> starts on line 6)',
      '6 event security-4688',
      '7 error unrecognized line: expected a Windows XML event (\'<\') or a JSON object or array (\'{\', \'[\'), found "not xml at all"',
      '8 error XML error at line 8, column 6: unexpected <Foo> outside <Event>',
      '9 event sysmon',
      '9 error XML error at line 9: text outside <Event>: "trailing"',
      '10 event security-4688',
    ])
  })

  it('reports an event still open at the end of the input', async () => {
    expect(summary(await readAll(`${e4688}\n${pretty(example).split('\n').slice(0, 10).join('\n')}\n`))).toEqual([
      '1 event security-4688',
      '2 error unexpected end of XML: <Event> not closed',
    ])
  })

  it('recovers after an error inside a pretty-printed event at the next <Event>', async () => {
    const broken = pretty(example).replace("<Data Name='User'>", "<Data Name='User'><Oops>")
    const text = `${broken}\n${pretty(e4688)}\n`
    // One error for the broken event (at its first line; the position is the mismatched </Data>), then the next event.
    expect(summary(await readAll(text))).toEqual(['1 error XML error at line 31, column 58: unexpected close tag.', `${broken.split('\n').length + 1} event security-4688`])
  })

  it('reports an unclosed or unexpected <Events> wrapper', async () => {
    expect(summary(await readAll(`<Events>\n${example}\n`))).toEqual(['2 event sysmon', '1 error unexpected end of XML: <Events> not closed'])
    expect(summary(await readAll(`${example}\n</Events>\n`))).toEqual(['1 event sysmon', '2 error unexpected </Events> without <Events>'])
  })

  it('ignores blank lines and whitespace around events', async () => {
    expect(summary(await readAll(`\n  \n\t${example}  \n\n${e4688}\n\n`))).toEqual(['3 event sysmon', '5 event security-4688'])
  })

  it("skips well-formed events that are not process creations, and JSON lines with format 'windows-xml' are errors", async () => {
    const eid3 = example.replace('<EventID>1</EventID>', '<EventID>3</EventID>')
    const items = await readAll(`${eid3}\n{"event_simpleName":"ProcessRollup2"}\n`, { format: 'windows-xml' })
    expect(summary(items)).toEqual(['1 skipped Sysmon EventID 3 is not a process creation', '2 error expected an XML <Event>, found "{\\"event_simpleName\\":\\"ProcessRollup2\\"}"'])
  })
})
