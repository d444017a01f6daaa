import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { events, fixture, readAll, summary } from './helpers/read.js'

/** JSON layouts: NDJSON, pretty-printed and concatenated objects, `}{`, recovery, caps, positions. */

const fdr = (pid: number) => ({ event_simpleName: 'ProcessRollup2', event_platform: 'Win', timestamp: '1773479600000', aid: 'a1', TargetProcessId: String(pid), CommandLine: `C:\\x\\p${pid}.exe` })
const one = (pid: number) => JSON.stringify(fdr(pid))
const pretty = (pid: number) => JSON.stringify(fdr(pid), null, 2)
const pids = (items: Awaited<ReturnType<typeof readAll>>) => events(items).map((i) => [i.line, i.event.process_id])

describe('JSON streams', () => {
  it('reads pretty-printed objects, `}\\n{` and `}{` concatenations and NDJSON in one stream', async () => {
    const text = `${pretty(1)}\n${pretty(2)}${pretty(3)}\n${one(4)}${one(5)}\n  ${one(6)} \n\n${pretty(7)}`
    const lines = text.split('\n')
    const start = (pid: number) => lines.findIndex((l, i) => l.includes(`"TargetProcessId": "${pid}"`) || (l.includes(`"TargetProcessId":"${pid}"`) && i >= 0)) + 1
    expect(pids(await readAll(text))).toEqual([
      [1, '1'],
      [start(2) - 5, '2'],
      [start(3) - 5, '3'],
      [start(4), '4'],
      [start(4), '5'],
      [start(6), '6'],
      [start(7) - 5, '7'],
    ])
    expect(summary(await readAll(text)).filter((s) => s.includes('error'))).toEqual([])
  })

  it('gives identical items however the bytes are chunked', async () => {
    const text = Buffer.from(`${pretty(1)}${pretty(2)}\n${one(3)}\n{"a":\n${pretty(4)}\n{"b": "x\n${one(5)}${one(6)} junk\n${pretty(7).slice(0, 60)}`)
    const whole = await readAll(text)
    expect(events(whole)).toHaveLength(6)
    expect(whole.filter((i) => i.kind === 'error')).toHaveLength(4)
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: 1, max: 300 }), { minLength: 1, maxLength: 20 }), async (sizes) => {
        expect(await readAll(text, {}, sizes)).toEqual(whole)
      }),
      { numRuns: 40 },
    )
  })

  it('reports a cut object where it starts and resumes at the next object in column 0', async () => {
    const cut = pretty(1).split('\n').slice(0, 4).join('\n')
    const text = `${cut}\n${pretty(2)}\n${one(3).slice(0, 30)}\n${one(4)}\n`
    expect(summary(await readAll(text))).toEqual([
      '1 error unexpected end of JSON: object not closed (a new object starts on line 5)',
      '5 event crowdstrike',
      '13 error invalid JSON: Unterminated string at column 31',
      '14 event crowdstrike',
    ])
  })

  it('reports a syntax error inside a multi-line object with its line and column, then skips to the next object', async () => {
    const broken = pretty(1).replace('"aid": "a1",', '"aid": "a1" oops,')
    const text = `${broken}\n${pretty(2)}\n`
    const items = await readAll(text)
    expect(summary(items)).toEqual([`1 error invalid JSON: Expected ',' or '}' after property value at line 5, column 15`, '9 event crowdstrike'])
    expect(summary(await readAll(`{"a": 1, "b": }\n${one(2)}`))).toEqual([`1 error invalid JSON: Unexpected token '}' at column 15`, '2 event crowdstrike'])
  })

  it('an object that ends inside a string is broken at once (JSON strings cannot span lines)', async () => {
    const text = `{\n  "event_simpleName": "ProcessRollup2\n  "aid": "a1"\n}\n${one(2)}\n`
    expect(summary(await readAll(text))).toEqual(['1 error invalid JSON: Unterminated string at line 2, column 38', '5 event crowdstrike'])
  })

  it('reports text after an object on its line, and keeps the object', async () => {
    expect(summary(await readAll(`${one(1)} trailing\n${one(2)}`))).toEqual([
      '1 event crowdstrike',
      `1 error JSON error at line 1, column ${one(1).length + 2}: text after a JSON object: "trailing"`,
      '2 event crowdstrike',
    ])
  })

  it('caps a multi-line object like a line, then resumes', async () => {
    const endless = `{\n  "CommandLine": [\n${'    "xxxxxxxxxx",\n'.repeat(200)}`
    expect(summary(await readAll(`${endless}${one(9)}\n`, { maxLineBytes: 1000 }, [64]))).toEqual([
      '1 error JSON object longer than 1000 characters (still open at line 57); skipped',
      '203 event crowdstrike',
    ])
    const line = `"${'x'.repeat(28)}",`
    expect(summary(await readAll(`{"a": [\n${line}\n${line}\n${line}\n1]}\n{"x": 1}`, { maxLineBytes: 50 }))).toEqual([
      '1 error JSON object longer than 50 characters (still open at line 3); skipped',
      '6 skipped unsupported JSON rendering',
    ])
  })

  it('in auto mode an XML line ends an open JSON object; an unreadable line interrupts it', async () => {
    const xml = fixture('security-4688/escu-example.xml').toString('utf8')
    expect(summary(await readAll(`{"a":\n${xml}\n${one(1)}\n`))).toEqual([
      '1 error unexpected end of JSON: object not closed (line 2 is not JSON)',
      '2 event security-4688',
      '3 event crowdstrike',
    ])
    const bad = Buffer.concat([Buffer.from('{"a":\n'), Buffer.from([0xff, 0x0a]), Buffer.from(`  "b": 1}\n${one(1)}\n`)])
    expect(summary(await readAll(bad))).toEqual([
      '1 error unexpected end of JSON: object not closed (line 2 is unreadable)',
      '2 error invalid UTF-8 at byte 1 of the line (0xff)',
      '4 event crowdstrike',
    ])
    expect(summary(await readAll('{"a": [1,\n'))).toEqual(['1 error unexpected end of JSON: object not closed'])
  })

  it("with format 'ndjson', lines that are not objects are errors; pretty-printed JSON still reads", async () => {
    expect(summary(await readAll(`[1, 2]\nnope\n"s"\n${pretty(1)}\n`, { format: 'ndjson' }))).toEqual([
      '1 error JSON error at line 1, column 2: array element is not an object: "1"',
      '1 error JSON error at line 1, column 5: array element is not an object: "2"',
      "2 error invalid JSON: Unexpected token 'o' at column 2",
      '3 error JSON line is not an object',
      '4 event crowdstrike',
    ])
  })

  it('malformed/invalid-json.ndjson gives what the fixtures README says', async () => {
    expect(summary(await readAll(fixture('malformed/invalid-json.ndjson')))).toEqual([
      '1 event crowdstrike',
      "2 error invalid JSON: Unexpected token '}' at column 45",
      '3 event crowdstrike',
      '4 error JSON error at line 4, column 2: array element is not an object: "1"',
      '4 error JSON error at line 4, column 5: array element is not an object: "2"',
      '4 error JSON error at line 4, column 8: array element is not an object: "3"',
      '5 error Sysmon EventID 1 has no UtcTime and no TimeCreated SystemTime',
    ])
  })
})
