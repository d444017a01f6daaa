import { gzipSync } from 'node:zlib'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import type { IngestItem } from '../../../src/ingest/index.js'
import { events, fixture, readAll, summary } from './helpers/read.js'

/** Hostile input: DTDs and entity bombs, UTF-16, byte offsets of every error, huge lines. */

const example = fixture('sysmon/escu-example.xml').toString('utf8')
const e4688 = fixture('security-4688/escu-example.xml').toString('utf8')
const DOCTYPE = 'DOCTYPE not allowed: document type and entity declarations are never read or expanded'

/** Byte offsets of the starts of lines (`\n`, or the `0A 00` unit in UTF-16LE). */
function lineStarts(bytes: Buffer, utf16 = false): number[] {
  const starts = [0]
  for (let i = 0; i < bytes.length; i += utf16 ? 2 : 1) if (bytes[i] === 0x0a && (!utf16 || bytes[i + 1] === 0)) starts.push(i + (utf16 ? 2 : 1))
  return starts
}

const errorsOf = (items: IngestItem[]) => items.flatMap((i) => (i.kind === 'error' ? [i] : []))

describe('DTDs and entity declarations are never read or expanded', () => {
  it('malformed/doctype-xxe.xml: the DOCTYPE and the events using its entities are errors; the rest still counts', async () => {
    const started = performance.now()
    const items = await readAll(fixture('malformed/doctype-xxe.xml'))
    expect(summary(items)).toEqual([
      `2 error XML error at line 2, column 1: ${DOCTYPE}`,
      '16 error XML error at line 16, column 1107: undefined entity.',
      '17 error XML error at line 17, column 1078: undefined entity.',
      '18 event sysmon',
    ])
    expect(performance.now() - started).toBeLessThan(2000) // 10^9 "lol"s were never built
    expect(JSON.stringify(items)).not.toContain('root:') // nothing of /etc/passwd
  })

  it('a DOCTYPE on the line of an event, or inside a multi-line event, is a precise error', async () => {
    const inline = `<!DOCTYPE Event [<!ENTITY a "b">]>${example.replace('Administrator', '&a;')}`
    expect(summary(await readAll(`${inline}\n${e4688}\n`))).toEqual([`1 error XML error at line 1, column 1: ${DOCTYPE}`, '2 event security-4688'])
    const nested = example.replace('<EventData>', '\n<!DOCTYPE x [<!ENTITY a "b">]>\n<EventData>')
    expect(summary(await readAll(`${nested}\n${e4688}\n`))).toEqual([`1 error XML error at line 2, column 9: ${DOCTYPE}`, '4 event security-4688'])
    expect(summary(await readAll(`<!ENTITY a "b">\n${e4688}\n`))).toEqual([`1 error XML error at line 1, column 1: ${DOCTYPE}`, '2 event security-4688'])
  })
})

describe('UTF-16 input (wevtutil, PowerShell 5 `Out-File`)', () => {
  const text = `\uFEFF<Events>\r\n${example}\r\n${e4688.replace('splunkd.exe', 'spl\u00FCnkd \u{1F600}.exe')}\r\n</Events>\r\n{"event_simpleName":"DnsRequest"}\r\n`
  const utf8Items = async () => readAll(Buffer.from(text))

  it.each([
    ['UTF-16LE with a BOM', Buffer.from(text, 'utf16le')],
    ['UTF-16BE with a BOM', Buffer.from(text, 'utf16le').swap16()],
    ['UTF-16LE without a BOM', Buffer.from(text.slice(1), 'utf16le')],
    ['gzip of UTF-16LE', gzipSync(Buffer.from(text, 'utf16le'))],
  ])('%s reads like the UTF-8 text, in any chunking (odd cuts too)', async (_, bytes) => {
    const expected = (await utf8Items()).map((i) => (i.kind === 'event' ? { ...i } : i))
    const whole = await readAll(bytes)
    expect(summary(whole)).toEqual(['2 event sysmon', '3 event security-4688', '5 skipped CrowdStrike DnsRequest is not a process creation'])
    expect(events(whole).map((i) => i.event)).toEqual(events(expected).map((i) => i.event))
    expect(events(whole)[1]!.event.parent_process_name).toBe('spl\u00FCnkd \u{1F600}.exe')
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: 1, max: 777 }), { minLength: 1, maxLength: 12 }), async (sizes) => {
        expect(await readAll(bytes, {}, sizes)).toEqual(whole)
      }),
      { numRuns: 25 },
    )
  })

  it('reports unpaired surrogates and a dangling last byte per line, with UTF-16 byte offsets', async () => {
    const good = Buffer.from(`\uFEFF${e4688}\n`, 'utf16le')
    const lone = Buffer.concat([Buffer.from('<Event>ab', 'utf16le'), Buffer.from([0x00, 0xd8]), Buffer.from('</Event>\n', 'utf16le')])
    const input = Buffer.concat([good, lone, Buffer.from(e4688, 'utf16le'), Buffer.from([0x41])])
    const items = await readAll(input, {}, [333])
    expect(summary(items)).toEqual([
      '1 event security-4688',
      '2 error invalid UTF-16 at byte 19 of the line (unpaired surrogate 0xd800)',
      '3 error invalid UTF-16: the input ends in the middle of a code unit',
    ])
    expect(errorsOf(items).map((e) => e.offset)).toEqual([good.length, good.length + lone.length])
  })
})

describe('byte offsets of errors', () => {
  const pretty = example.replace(/></g, '>\n  <')
  const parts = [
    `${example}\n`,
    `${example.slice(0, 700)}\n`, // cut: a new event follows
    `<Events>\n${pretty.replace("<Data Name='User'>", "<Data Name='User'><Oops>")}\n${e4688}\n`,
    '{"a": 1,\n  "b": x}\n', // multi-line JSON syntax error
    `${'{"c":1}'} tail\n`,
    Buffer.from([0x3c, 0xff, 0x0a]), // invalid UTF-8
    'garbage line\n',
    `<!DOCTYPE x>\n${e4688}\n`,
    `${'z'.repeat(5000)}\n`, // longer than maxLineBytes
    `${pretty.split('\n').slice(0, 5).join('\n')}\n`, // an event still open at the end
  ]
  const input = Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : p)))

  it('every error carries its line and the byte offset where that line starts, however the input is chunked', async () => {
    const starts = lineStarts(input)
    const items = await readAll(input, { maxLineBytes: 4000 })
    const errors = errorsOf(items)
    // cut event, broken pretty event, JSON, text after JSON, bad UTF-8, garbage, DOCTYPE, long line, open at the end
    expect(errors.map((e) => e.line)).toEqual([2, 4, 47, 49, 50, 51, 52, 54, 55])
    for (const e of errors) expect({ line: e.line, offset: e.offset }).toEqual({ line: e.line, offset: starts[e.line - 1] })
    expect(await readAll(input, { maxLineBytes: 4000 }, [1, 3, 1000])).toEqual(items)
  })

  it('an over-long line is dropped as it streams (8 MiB by default), with its offset', async () => {
    const huge = Buffer.alloc(9 * 1024 * 1024, 0x41)
    const head = Buffer.from(`${e4688}\n`)
    const input = Buffer.concat([head, huge, Buffer.from(`\n${e4688}`)])
    for (const sizes of [[], [65536], [5 * 1024 * 1024]]) {
      const items = await readAll(input, {}, sizes)
      expect(summary(items)).toEqual(['1 event security-4688', '2 error line longer than 8388608 bytes; skipped', '3 event security-4688'])
      expect(errorsOf(items)[0]!.offset).toBe(head.length)
    }
    const json = Buffer.from(`{"a":\n"${'x'.repeat(5000)}"}\n{"event_simpleName":"DnsRequest"}\n`)
    expect(summary(await readAll(json, { maxLineBytes: 4096 }, [100]))).toEqual([
      '1 error unexpected end of JSON: object not closed (line 2 is unreadable)',
      '2 error line longer than 4096 bytes; skipped',
      '3 skipped CrowdStrike DnsRequest is not a process creation',
    ])
  })

  it('a gzip failure is reported at the line (and offset) where the data stopped', async () => {
    const plain = Buffer.from(`${e4688}\n${e4688}\n${e4688}\n`)
    const items = await readAll(gzipSync(plain).subarray(0, 200))
    const last = items.at(-1)!
    expect(last).toMatchObject({ kind: 'error', message: 'invalid gzip data: unexpected end of file' })
    expect(lineStarts(plain)).toContain((last as { offset: number }).offset)
    expect(await readAll(Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0xff]))).toEqual([{ kind: 'error', line: 1, offset: 0, message: 'invalid gzip data: unexpected end of file' }])
  })
})
