import { gzipSync } from 'node:zlib'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { readEventBatches } from '../../../src/ingest/index.js'
import { chunked, fixture, readAll, summary } from './helpers/read.js'

/** Byte-level behaviour: chunk boundaries, gzip, encodings, garbage, limits. */

const sysmon = fixture('sysmon/ngrok-synthetic.xml')
const example = fixture('sysmon/escu-example.xml').toString('utf8')
const e4688 = fixture('security-4688/escu-example.xml').toString('utf8')

/** Every layout in one stream: BOM, CRLF, wrapper, pretty-printed events, JSON lines, bad bytes. */
const mixed = Buffer.concat([
  Buffer.from(`\uFEFF<Events>\r\n${example.replace(/></g, '>\r\n<')}\r\n</Events>\r\n`),
  sysmon,
  fixture('crowdstrike/ngrok-synthetic.ndjson'),
  Buffer.from([0x3c, 0x45, 0xff, 0xfe, 0x0a]), // invalid UTF-8
  Buffer.from(`${e4688}\n${example.replace('Administrator', 'Zoë 日本 \u{1F600}')}\n`), // multi-byte characters to split
  fixture('malformed/binary-garbage.bin'),
])

describe('streaming', () => {
  it('gives identical items however the bytes are chunked (cuts inside multi-byte characters too)', async () => {
    const whole = await readAll(mixed)
    expect(whole.filter((i) => i.kind === 'event').length).toBeGreaterThan(45)
    expect(whole.filter((i) => i.kind === 'error').length).toBeGreaterThanOrEqual(4)
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: 1, max: 5000 }), { minLength: 1, maxLength: 30 }), async (sizes) => {
        expect(await readAll(mixed, {}, sizes)).toEqual(whole)
      }),
      { numRuns: 60 },
    )
    expect(await readAll(mixed, {}, [1])).toEqual(whole) // one byte at a time
  })

  it('yields batches of at most batchSize items, and no batch for an empty input', async () => {
    const sizes: number[] = []
    for await (const batch of readEventBatches(chunked(sysmon, [777]), { batchSize: 7 })) sizes.push(batch.items.length)
    expect(sizes.every((n) => n >= 1 && n <= 7)).toBe(true)
    expect(sizes.reduce((a, b) => a + b)).toBe(40)
    for (const empty of ['', '\n\n', '\uFEFF', '   \r\n\t\n']) expect(await readAll(empty)).toEqual([])
    expect(await readAll(fixture('malformed/empty.xml'))).toEqual([])
  })

  it('reads gzip transparently, in any chunking', async () => {
    const plain = await readAll(sysmon)
    const gz = gzipSync(sysmon)
    expect(await readAll(gz)).toEqual(plain)
    expect(await readAll(gz, {}, [1, 7, 300])).toEqual(plain)
    expect(await readAll(Buffer.concat([gzipSync(sysmon.subarray(0, 1000)), gzipSync(sysmon.subarray(1000))]))).toEqual(plain) // multi-member
  })

  it('reports corrupt or truncated gzip after the events it could read', async () => {
    const gz = gzipSync(sysmon)
    const truncated = summary(await readAll(gz.subarray(0, Math.floor(gz.length / 2))))
    expect(truncated.at(-1)).toMatch(/^\d+ error invalid gzip data: unexpected end of file$/)
    expect(truncated.filter((s) => s.includes(' event ')).length).toBeGreaterThan(5)
    const corrupt = Buffer.from(gz)
    corrupt.fill(0x55, 200, 260)
    expect(summary(await readAll(corrupt)).at(-1)).toMatch(/error invalid gzip data: /)
  })

  it('stops at maxDecompressedBytes with an error, keeping the events before it', async () => {
    const items = await readAll(gzipSync(Buffer.concat(Array.from({ length: 40 }, () => sysmon))), { maxDecompressedBytes: 2_000_000 })
    const last = items.at(-1)!
    expect(last).toMatchObject({
      kind: 'error',
      message: expect.stringMatching(/^gzip data inflates to more than 2000000 bytes \(maxDecompressedBytes; stopped after \d+ compressed bytes\); rest not read$/),
    })
    expect(items.filter((i) => i.kind === 'event').length).toBeGreaterThan(100)
    expect(items.filter((i) => i.kind === 'error').length).toBeLessThan(items.length / 10) // no error from a cut last line
  })

  it('reports a line longer than maxLineBytes and continues with the next line', async () => {
    const huge = Buffer.alloc(9 * 1024 * 1024 + 5, 0x41) // > 8 MiB, no newline
    const input = Buffer.concat([Buffer.from(`${example}\n`), huge, Buffer.from(`\n${e4688}\n`), huge])
    const expected = ['1 event sysmon', '2 error line longer than 8388608 bytes; skipped', '3 event security-4688', '4 error line longer than 8388608 bytes; skipped']
    expect(summary(await readAll(input, {}, [64 * 1024]))).toEqual(expected)
    expect(summary(await readAll(input))).toEqual(expected) // the same when the long line arrives in one chunk
    for (const sizes of [[10], [1000]]) {
      expect(summary(await readAll(`{"a":1}\n${'x'.repeat(100)}\n{"b":2}\n${'y'.repeat(51)}`, { maxLineBytes: 50 }, sizes))).toEqual([
        '1 skipped unsupported JSON rendering',
        '2 error line longer than 50 bytes; skipped',
        '3 skipped unsupported JSON rendering',
        '4 error line longer than 50 bytes; skipped',
      ])
    }
  })

  it('caps a multi-line XML event like a line, then resumes at the next event', async () => {
    // lines 1-3 are 111 characters with their newlines; each x line adds 100
    const endless = `<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'>\n<EventData>\n<Data Name='CommandLine'>${`\n${'x'.repeat(99)}`.repeat(30)}\n`
    expect(summary(await readAll(`${endless}${e4688}\n`, { maxLineBytes: 1500 }, [17]))).toEqual([
      '1 error XML event longer than 1500 characters (still open at line 17); skipped',
      '34 event security-4688',
    ])
  })

  it('reports invalid UTF-8, NUL bytes and binary garbage per line; the events around them still come out', async () => {
    expect(summary(await readAll(fixture('malformed/invalid-utf8.xml')))).toEqual([
      '1 event sysmon',
      '2 error invalid UTF-8 at byte 619 of the line (0xc3)',
      '3 event sysmon',
    ])
    expect(summary(await readAll(fixture('malformed/binary-garbage.bin'), {}, [3]))).toEqual([
      '1 event sysmon',
      '2 error invalid UTF-8 at byte 4 of the line (0xc0)',
      '3 error XML error at line 3, column 70: disallowed character.',
      '4 event sysmon',
    ])
    const nul = summary(await readAll(`${e4688}\n\u0000\u0000\u0000\n{"a":"\u0000"}\n${e4688}\n`))
    expect(nul).toEqual([
      '1 event security-4688',
      '2 error unrecognized line: expected a Windows XML event (\'<\') or a JSON object or array (\'{\', \'[\'), found "\\u0000\\u0000\\u0000"',
      '3 error invalid JSON: Bad control character in string literal at column 7',
      '4 event security-4688',
    ])
  })

  it('lets failures of the input itself propagate', async () => {
    async function* failing() {
      yield Buffer.from(`${e4688}\n`)
      throw new Error('connection reset')
    }
    await expect(async () => {
      for await (const _ of readEventBatches(failing())) void _
    }).rejects.toThrow('connection reset')
    async function* failingGzip() {
      yield gzipSync(sysmon).subarray(0, 100)
      throw new Error('upload aborted')
    }
    await expect(async () => {
      for await (const _ of readEventBatches(failingGzip())) void _
    }).rejects.toThrow('upload aborted')
  })

  it('closes the input when the consumer stops early', async () => {
    let closed = false
    async function* source() {
      try {
        for (;;) yield sysmon
      } finally {
        closed = true
      }
    }
    for await (const batch of readEventBatches(source(), { batchSize: 10 })) if (batch.items.length > 0) break
    expect(closed).toBe(true)
  })
})
