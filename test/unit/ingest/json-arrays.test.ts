import { gzipSync } from 'node:zlib'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { detectFormat } from '../../../src/ingest/index.js'
import { events, fixture, readAll, summary } from './helpers/read.js'

/**
 * Top-level JSON arrays of events (`jq -s`, Chainsaw's `--json`, "export as JSON" buttons): read
 * element by element, one event and one raw byte span per object, whatever the layout; JSON's
 * punctuation checked with line and column, and the objects around a mistake still read.
 */

const fdr = (pid: number) => ({
  event_simpleName: 'ProcessRollup2',
  event_platform: 'Win',
  timestamp: '1773479600000',
  aid: 'a1',
  TargetProcessId: String(pid),
  CommandLine: `C:\\x\\p${pid}.exe`,
  Nested: { list: [1, [2, { deep: pid }]], text: 'a ] , [ { }' },
})
const one = (pid: number) => JSON.stringify(fdr(pid))
const pids = (items: Awaited<ReturnType<typeof readAll>>) => events(items).map((i) => i.event.process_id)
const errors = (items: Awaited<ReturnType<typeof readAll>>) => summary(items).filter((s) => s.includes(' error '))

/** Each event's raw bytes, parsed: the object it was read from, alone. */
function rawObjects(input: string, items: Awaited<ReturnType<typeof readAll>>): unknown[] {
  const bytes = Buffer.from(input)
  return events(items).map((e) => JSON.parse(bytes.subarray(e.rawOffset!, e.rawOffset! + e.rawLength!).toString('utf8')))
}

describe('JSON arrays of events', () => {
  const objects = [1, 2, 3].map(fdr)
  const layouts = {
    'one line': JSON.stringify(objects),
    'one line, spaced': `[ ${objects.map((o) => JSON.stringify(o)).join(' , ')} ]`,
    'pretty, 2 spaces (jq)': JSON.stringify(objects, null, 2),
    'pretty, 4 spaces (ConvertTo-Json)': JSON.stringify(objects, null, 4),
    'elements on lines of their own': `[\n${objects.map((o) => JSON.stringify(o)).join(',\n')}\n]\n`,
    'commas leading': `[ ${objects.map((o) => JSON.stringify(o)).join('\n, ')}\n]`,
    'tab-indented, CRLF': JSON.stringify(objects, null, '\t').replaceAll('\n', '\r\n'),
  }

  for (const [name, text] of Object.entries(layouts)) {
    it(`reads every element of an array laid out ${name}, each with its own bytes`, async () => {
      const items = await readAll(text)
      expect(errors(items)).toEqual([])
      expect(pids(items)).toEqual(['1', '2', '3'])
      expect(rawObjects(text, items)).toEqual(objects)
    })
  }

  it('gives the same events as the same objects written as NDJSON', async () => {
    const ndjson = await readAll(objects.map((o) => JSON.stringify(o)).join('\n'))
    const array = await readAll(JSON.stringify(objects, null, 2))
    expect(errors(array)).toEqual([])
    expect(events(array).map((e) => [e.event, e.key])).toEqual(events(ndjson).map((e) => [e.event, e.key]))
  })

  it('reads a Windows rendering (evtx_dump / Chainsaw shape) wrapped in an array like the same events one after another', async () => {
    const stream = fixture('json/evtx-dump.json').toString('utf8')
    const plain = await readAll(stream)
    const wrapped = JSON.stringify(rawObjects(stream, plain), null, 2)
    const array = await readAll(wrapped)
    expect(events(plain).length).toBeGreaterThan(10)
    expect(errors(array)).toEqual([])
    expect(events(array).map((e) => [e.source, e.event, e.key])).toEqual(events(plain).map((e) => [e.source, e.event, e.key]))
  })

  it('gives identical items however the bytes are chunked', async () => {
    const text = Buffer.from(
      `${JSON.stringify([fdr(1), fdr(2)], null, 2)}\n[${one(3)},,${one(4)} ${one(5)}, 7]\n${one(6)}\n` +
        `${JSON.stringify([fdr(8), fdr(9)], null, 2).replace('p8.exe"', 'p8\n.exe"')}\n[\n  ${one(10)}`,
    )
    const whole = await readAll(text)
    expect(pids(whole)).toEqual(['1', '2', '3', '4', '5', '6', '9', '10'])
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: 1, max: 300 }), { minLength: 1, maxLength: 20 }), async (sizes) => {
        expect(await readAll(text, {}, sizes)).toEqual(whole)
      }),
      { numRuns: 40 },
    )
  })

  it('reports punctuation JSON does not allow, with line and column, and still reads every object', async () => {
    const a = one(1)
    const line = `[${a}${a.replace('"1"', '"2"')},,${one(3)},]`
    const items = await readAll(`${line}\n[, ${one(4)}]\n`)
    expect(pids(items)).toEqual(['1', '2', '3', '4'])
    // Columns are 1-based: the second object's `{`, the second comma of `,,`, the `]` after `,`.
    const column = (needle: string, from = 0) => line.indexOf(needle, from) + 1
    expect(errors(items)).toEqual([
      `1 error JSON error at line 1, column ${1 + a.length + 1}: expected ',' or ']' after an array element, found ${JSON.stringify(a.slice(0, 40) + '…')}`,
      `1 error JSON error at line 1, column ${column(',,') + 1}: ',' where an array element should be`,
      `1 error JSON error at line 1, column ${column(',]') + 1}: ']' after a comma (an array element is missing)`,
      '2 error JSON error at line 2, column 2: \',\' where an array element should be',
    ])
  })

  it('reports each element that is not an object (numbers, strings with commas, literals, nested arrays) and reads the objects beside them', async () => {
    const items = await readAll(`[1, "a, ]b", null, [${one(1)}], ${one(2)}, {"not": "an event"}]`)
    expect(summary(items)).toEqual([
      '1 error JSON error at line 1, column 2: array element is not an object: "1"',
      '1 error JSON error at line 1, column 5: array element is not an object: "\\"a, ]b\\""',
      '1 error JSON error at line 1, column 14: array element is not an object: "null"',
      `1 error JSON error at line 1, column 20: array element is not an object: ${JSON.stringify(`[${one(1)}]`.slice(0, 40) + '…')}`,
      '1 event crowdstrike',
      '1 skipped unsupported JSON rendering',
    ])
  })

  it('a text line that starts with [ but is no JSON array is one unrecognized line, not a broken array', async () => {
    expect(summary(await readAll(`[INFO] service started\n[2026-03-16 14:05:09] ok\n${JSON.stringify([fdr(1)])}\n`))).toEqual([
      `1 error unrecognized line: expected a Windows XML event ('<') or a JSON object or array ('{', '['), found "[INFO] service started"`,
      `2 error unrecognized line: expected a Windows XML event ('<') or a JSON object or array ('{', '['), found "[2026-03-16 14:05:09] ok"`,
      '3 event crowdstrike',
    ])
  })

  it('reads empty arrays as nothing', async () => {
    expect(await readAll('[]\n[ ]\n[\n\n]\n  []  \n')).toEqual([])
  })

  it('reports an array never closed where it opened, keeping its elements — at the end of the input and when an XML line cuts it', async () => {
    const unclosed = JSON.stringify([fdr(1), fdr(2)], null, 2).replace(/\n\]$/, '')
    const second = unclosed.split('\n').indexOf('  {', 2) + 1
    expect(summary(await readAll(unclosed))).toEqual(['2 event crowdstrike', `${second} event crowdstrike`, '1 error unexpected end of JSON: array not closed'])
    const xml = fixture('security-4688/escu-example.xml').toString('utf8')
    expect(summary(await readAll(`[\n  ${one(1)},\n${xml}\n${one(2)}\n`))).toEqual([
      '2 event crowdstrike',
      '1 error unexpected end of JSON: array not closed (line 3 is not JSON)',
      '3 event security-4688',
      '4 event crowdstrike',
    ])
  })

  it('after a broken element of a pretty-printed array, resumes at the next element at the same indentation or at the array end', async () => {
    const broken = JSON.stringify([fdr(1), fdr(2), fdr(3)], null, 2).replace('p2.exe"', 'p2\n.exe"')
    const items = await readAll(broken)
    expect(pids(items)).toEqual(['1', '3'])
    const lines = broken.split('\n')
    const secondStart = lines.indexOf('  {', 2) + 1
    const cutAt = lines.findIndex((l) => l.endsWith('p2')) + 1
    expect(errors(items)).toEqual([`${secondStart} error invalid JSON: Unterminated string at line ${cutAt}, column 30`])
    const brokenLast = `${JSON.stringify([fdr(1), fdr(2)], null, 4).replace('p2.exe"', 'p2\n.exe"')}\n${one(9)}`
    expect(pids(await readAll(brokenLast))).toEqual(['1', '9'])
    expect(errors(await readAll(brokenLast))).toHaveLength(1)
  })

  it('takes an element that starts at the elements’ indentation while one is open for the start of the next (the open one was cut off)', async () => {
    const lines = JSON.stringify([fdr(1), fdr(2)], null, 2).split('\n')
    const closing = lines.indexOf('  },')
    const cut = [...lines.slice(0, closing), ...lines.slice(closing + 1)].join('\n')
    expect(summary(await readAll(cut))).toEqual([
      `2 error unexpected end of JSON: object not closed (a new object starts on line ${closing + 1})`,
      `${closing + 1} event crowdstrike`,
    ])
  })

  it('reads an array of objects in uploads declared ndjson, and gzip-compressed', async () => {
    const text = JSON.stringify(objects, null, 2)
    for (const items of [await readAll(text, { format: 'ndjson' }), await readAll(gzipSync(text))]) {
      expect(errors(items)).toEqual([])
      expect(pids(items)).toEqual(['1', '2', '3'])
    }
  })

  it('names an upload that starts with an array JSON', () => {
    expect(detectFormat(Buffer.from('  [\n  {"a": 1}]'))).toBe('ndjson')
    expect(detectFormat(gzipSync(Buffer.from('\uFEFF[{"a": 1}]')))).toBe('ndjson')
  })
})
