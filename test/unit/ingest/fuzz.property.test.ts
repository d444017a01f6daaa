import { readdirSync, readFileSync, statSync } from 'node:fs'
import { gzipSync } from 'node:zlib'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { CIM_PROCESS_FIELDS } from '../../../src/detection/index.js'
import { detectFormat, foldIngestItems, newIngestStats, type IngestItem, type ReadOptions } from '../../../src/ingest/index.js'
import { FUZZ_TEST_TIMEOUT_MS, fuzzOptions, INTERNAL_ERROR_TEXT, LONE_SURROGATE } from '../../helpers/fuzz.js'
import { FIXTURES, readAll } from './helpers/read.js'

/**
 * Fuzzing of everything an upload goes through before the rules: gzip, encoding, line splitting,
 * format detection, the XML and JSON readers and the Sysmon / 4688 / CrowdStrike / JSON-rendering
 * normalizers (all reached through readEventBatches and detectFormat, as the worker reaches them).
 * Inputs are every fixture log, mutated byte by byte and token by token, in every encoding, cut
 * into random chunks; and well-formed events whose field values are replaced by arbitrary JSON.
 * Whatever the input:
 *
 *   - reading finishes (bounded time per input) and never throws;
 *   - every problem is an error item with its line, its byte offset and a message that says what
 *     is wrong — never a JavaScript exception text, never a character Postgres refuses in json;
 *   - events carry only strings (or null) in their CIM fields and a finite time;
 *   - the items do not depend on how the bytes were chunked.
 *
 * Complements fast-vs-strict.property.test.ts (the XML fast path against saxes) and
 * hardening.test.ts / streaming.test.ts (chunking of valid input, DTDs, UTF-16, limits).
 * FUZZ_RUNS raises the number of cases.
 */

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = `${dir}/${name}`
    return statSync(path).isDirectory() ? filesUnder(path) : /\.(xml|json|ndjson|bin)$/.test(name) ? [path] : []
  })
}

/**
 * A read of these inputs (a few KiB) takes milliseconds; the bound only catches a hang, with room
 * for a CI machine busy with the other test files.
 */
const SLOWEST_READ_MS = 5_000

const SAMPLES = filesUnder(FIXTURES.replace(/\/$/, '')).map((path) => readFileSync(path))

/** Fragments that mean something to one of the readers, and characters that break text handling. */
const TOKENS = [
  '<', '>', '/>', '&', '&amp;', '&#0;', '&#x110000;', '&#xD800;', '&lol;', '<![CDATA[x]]>', '<!--', '-->', '<?xml version="1.0"?>',
  '<!DOCTYPE e [<!ENTITY x SYSTEM "file:///etc/passwd">]>', '<Event>', '</Event>', '<EventData>', "<Data Name='CommandLine'>", "<Data Name='Image'>", '</Data>',
  '<EventID>1</EventID>', '<EventID>4688</EventID>', "xmlns='urn:x'", '{', '}', '[', ']', ',', ':', '"', '\\', '\\u0000', '\\ud800', '\\uD83D\\uDE00',
  '"event_simpleName":"ProcessRollup2",', '"EventID":1,', '"winlog":{"event_id":"1","channel":"Microsoft-Windows-Sysmon/Operational"},', '"timestamp":"1e400",',
  '"TargetProcessId":{},', '"CommandLine":[1,2],', 'null', 'true', '-0', '1e999', '\u0000', '\u0001', '\uFEFF', '\uFFFE', '\uD800', '\u2028', '\r', '\n', '\r\n', '\t',
  '😀', 'İ', 'ß', '[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[', '{"a":'.repeat(200),
].map((t) => Buffer.from(t))

type Mutation =
  | { kind: 'flip'; at: number; bit: number }
  | { kind: 'insert'; at: number; bytes: Uint8Array }
  | { kind: 'token'; at: number; token: number }
  | { kind: 'delete'; at: number; length: number }
  | { kind: 'duplicate'; at: number; length: number; to: number }
  | { kind: 'truncate'; at: number }

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 12 }) }),
  fc.record({ kind: fc.constant('token' as const), at: fc.nat(), token: fc.nat({ max: TOKENS.length - 1 }) }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 64 }) }),
  fc.record({ kind: fc.constant('duplicate' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 400 }), to: fc.nat() }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
)

function mutate(input: Buffer, m: Mutation): Buffer {
  const at = input.length === 0 ? 0 : m.at % (input.length + 1)
  switch (m.kind) {
    case 'flip': {
      if (input.length === 0) return input
      const out = Buffer.from(input)
      out[at % input.length]! ^= 1 << m.bit
      return out
    }
    case 'insert':
      return Buffer.concat([input.subarray(0, at), m.bytes, input.subarray(at)])
    case 'token':
      return Buffer.concat([input.subarray(0, at), TOKENS[m.token]!, input.subarray(at)])
    case 'delete':
      return Buffer.concat([input.subarray(0, at), input.subarray(at + m.length)])
    case 'duplicate': {
      const to = input.length === 0 ? 0 : m.to % (input.length + 1)
      return Buffer.concat([input.subarray(0, to), input.subarray(at, at + m.length), input.subarray(to)])
    }
    case 'truncate':
      return input.subarray(0, at)
  }
}

const ENCODINGS = ['utf8', 'utf16le', 'utf16be', 'gzip', 'gzip-utf16le'] as const
function encode(text: Buffer, encoding: (typeof ENCODINGS)[number]): Buffer {
  const utf16 = (be: boolean) => {
    const units = Buffer.from(`\uFEFF${text.toString('utf8')}`, 'utf16le')
    return be ? units.swap16() : units
  }
  switch (encoding) {
    case 'utf8':
      return text
    case 'utf16le':
      return utf16(false)
    case 'utf16be':
      return utf16(true)
    case 'gzip':
      return gzipSync(text)
    case 'gzip-utf16le':
      return gzipSync(utf16(false))
  }
}

const readOptions: fc.Arbitrary<ReadOptions> = fc.record(
  {
    format: fc.constantFrom('auto' as const, 'windows-xml' as const, 'ndjson' as const),
    maxLineBytes: fc.constantFrom(64, 700, 4096, 8 * 1024 * 1024),
    batchSize: fc.integer({ min: 1, max: 50 }),
  },
  { requiredKeys: [] },
)

const chunkSizes = fc.array(fc.integer({ min: 1, max: 2048 }), { minLength: 0, maxLength: 8 })

/** The properties every read must have, whatever the input. Returns how many items of each kind. */
function checkItems(items: IngestItem[], inputBytes: number, gzip: boolean): void {
  for (const item of items) {
    expect(Number.isInteger(item.line) && item.line >= 1, `line of ${JSON.stringify(item)}`).toBe(true)
    if (item.kind === 'error') {
      expect(typeof item.message).toBe('string')
      expect(item.message.length).toBeGreaterThan(10)
      expect(item.message.length, item.message).toBeLessThan(600) // a clear error, not a dump of the input
      expect(item.message).not.toMatch(INTERNAL_ERROR_TEXT)
      expect(storable(item.message), JSON.stringify(item.message)).toBe(true)
      expect(Number.isInteger(item.offset) && item.offset >= 0).toBe(true)
      // Offsets are positions in the decompressed input; without gzip they lie inside the bytes read.
      if (!gzip) expect(item.offset).toBeLessThanOrEqual(inputBytes)
    } else if (item.kind === 'skipped') {
      expect(item.reason.length).toBeGreaterThan(0)
      expect(item.eventKind.length).toBeGreaterThan(0)
    } else {
      expect(['sysmon', 'security-4688', 'crowdstrike']).toContain(item.source)
      expect(Number.isFinite(item.event._time)).toBe(true)
      for (const f of CIM_PROCESS_FIELDS) {
        const v = item.event[f]
        expect(v === null || typeof v === 'string', `${f} = ${String(v)}`).toBe(true)
        if (v !== null) expect(storable(v), `${f} = ${JSON.stringify(v)}`).toBe(true)
      }
    }
  }
  // The worker folds the items into the upload's statistics and stores them as json.
  const stats = newIngestStats()
  foldIngestItems(stats, items)
  for (const text of [...Object.keys(stats.skippedByKind), ...stats.errors.map((e) => e.message)]) expect(storable(text), JSON.stringify(text)).toBe(true)
}

/** Postgres text and json refuse NUL and unpaired surrogates. */
const storable = (text: string): boolean => !text.includes('\u0000') && !LONE_SURROGATE.test(text)

/**
 * Reads `bytes` whole and in chunks; both must finish and pass checkItems, and agree — except
 * after corrupt gzip data: zlib drops the output of the step that found the corruption, and which
 * bytes that step held depends on the chunking (a documented limit, RELIABILITY.md).
 */
async function readTwice(bytes: Buffer, options: ReadOptions, sizes: number[], gzip: boolean): Promise<number> {
  const started = performance.now()
  const whole = await readAll(bytes, options)
  checkItems(whole, bytes.length, gzip)
  if (sizes.length > 0) {
    const chunked = await readAll(bytes, options, sizes)
    checkItems(chunked, bytes.length, gzip)
    const corruptGzip = [...whole, ...chunked].some((i) => i.kind === 'error' && i.message.startsWith('invalid gzip data'))
    if (!corruptGzip) expect(chunked).toEqual(whole)
  }
  expect(detectFormat(bytes.subarray(0, 64 * 1024))).toMatch(/^(windows-xml|ndjson|evtx|unknown)$/)
  return performance.now() - started
}

describe('fuzzing the log readers (every format, through readEventBatches)', () => {
  it('mutated fixture logs, in every encoding and chunking: no throw, no hang, only clear errors', async () => {
    let slowest = 0
    await fc.assert(
      fc.asyncProperty(
        fc.nat({ max: SAMPLES.length - 1 }),
        fc.array(mutation, { minLength: 1, maxLength: 6 }),
        fc.constantFrom(...ENCODINGS),
        fc.boolean(),
        readOptions,
        chunkSizes,
        async (sample, mutations, encoding, mutateEncoded, options, sizes) => {
          const plain = SAMPLES[sample]!
          const bytes = mutateEncoded ? mutations.reduce(mutate, encode(plain, encoding)) : encode(mutations.reduce(mutate, plain), encoding)
          slowest = Math.max(slowest, await readTwice(bytes, options, sizes, encoding.startsWith('gzip')))
        },
      ),
      fuzzOptions(250),
    )
    expect(slowest).toBeLessThan(SLOWEST_READ_MS)
  }, FUZZ_TEST_TIMEOUT_MS)

  it('arbitrary bytes and arbitrary text: no throw, no hang, only clear errors', async () => {
    const text = fc.array(fc.oneof(fc.string({ unit: 'binary', maxLength: 80 }), fc.constantFrom(...TOKENS.map((t) => t.toString('utf8')))), { maxLength: 30 }).map((parts) => Buffer.from(parts.join('')))
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.uint8Array({ maxLength: 3000 }).map((b) => Buffer.from(b)), text), readOptions, chunkSizes, async (bytes, options, sizes) => {
        expect(await readTwice(bytes, options, sizes, false)).toBeLessThan(SLOWEST_READ_MS)
      }),
      fuzzOptions(400),
    )
  }, FUZZ_TEST_TIMEOUT_MS)

  it('well-formed events whose fields hold arbitrary JSON values (numbers, objects, huge or odd strings) normalize or fail alone', async () => {
    const jsonSamples = SAMPLES.map((b) => b.toString('utf8'))
      .flatMap((t) => t.split('\n'))
      .flatMap((l) => {
        try {
          const value: unknown = JSON.parse(l)
          return value !== null && typeof value === 'object' && !Array.isArray(value) ? [value as Record<string, unknown>] : []
        } catch {
          return [] // the malformed fixtures
        }
      })
    expect(jsonSamples.length).toBeGreaterThan(10)
    const oddValue = fc.oneof(
      fc.jsonValue({ maxDepth: 3 }),
      fc.string({ unit: 'grapheme', maxLength: 40 }),
      fc.constantFrom('', ' ', '-', '0x', '1e400', '-1', '9'.repeat(40), 'NaN', '2026-13-45T99:99:99Z', '\u0000', 'C:\\', '\\\\?\\', 'x'.repeat(20_000)),
    )
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: jsonSamples.length - 1 }), fc.array(fc.tuple(fc.nat(), oddValue), { minLength: 1, maxLength: 6 }), chunkSizes, async (sample, replacements, sizes) => {
        const event = structuredClone(jsonSamples[sample]!)
        const paths = leafPaths(event)
        for (const [at, value] of replacements) setPath(event, paths[at % paths.length]!, value)
        // The odd event between two good ones: it must not take them down with it.
        const good = JSON.stringify(jsonSamples[sample])
        const bytes = Buffer.from(`${good}\n${JSON.stringify(event)}\n${good}\n`)
        await readTwice(bytes, {}, sizes, false)
        const items = await readAll(bytes)
        const outer = items.filter((i) => i.line === 1 || i.line === 3).map((i) => i.kind)
        const alone = (await readAll(Buffer.from(`${good}\n`))).map((i) => i.kind)
        expect(outer).toEqual([...alone, ...alone])
      }),
      fuzzOptions(400),
    )
  }, FUZZ_TEST_TIMEOUT_MS)

  it('well-formed XML events whose Data and System values are arbitrary text normalize or fail alone', async () => {
    const xmlSamples = SAMPLES.map((b) => b.toString('utf8'))
      .flatMap((t) => t.split('\n'))
      .filter((l) => l.startsWith('<Event') && l.endsWith('</Event>'))
    expect(xmlSamples.length).toBeGreaterThan(10)
    // Line breaks as character references: the event stays on its line.
    const escape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/'/g, '&apos;').replace(/\r/g, '&#13;').replace(/\n/g, '&#10;')
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: xmlSamples.length - 1 }), fc.array(fc.tuple(fc.nat(), fc.string({ unit: 'grapheme', maxLength: 60 })), { minLength: 1, maxLength: 5 }), async (sample, replacements) => {
        let line = xmlSamples[sample]!
        const values = [...line.matchAll(/>([^<]*)</g)]
        for (const [at, text] of replacements) {
          const m = values[at % values.length]!
          line = line.replace(`>${m[1]}<`, `>${escape(text)}<`)
        }
        const bytes = Buffer.from(`${xmlSamples[sample]}\n${line}\n${xmlSamples[sample]}\n`)
        await readTwice(bytes, {}, [], false)
        const items = await readAll(bytes)
        expect(items.filter((i) => i.line === 1 || i.line === 3).map((i) => i.kind)).toEqual((await readAll(Buffer.from(`${xmlSamples[sample]}\n${xmlSamples[sample]}\n`))).map((i) => i.kind))
      }),
      fuzzOptions(300),
    )
  }, FUZZ_TEST_TIMEOUT_MS)
})

type Path = (string | number)[]

function leafPaths(value: unknown, path: Path = []): Path[] {
  if (value !== null && typeof value === 'object') {
    const entries = Array.isArray(value) ? value.map((v, i) => [i, v] as const) : Object.entries(value)
    const inner = entries.flatMap(([k, v]) => leafPaths(v, [...path, k]))
    return inner.length > 0 ? inner : [path]
  }
  return [path]
}

function setPath(root: Record<string, unknown>, path: Path, value: unknown): void {
  if (path.length === 0) return
  let node = root as Record<string | number, unknown>
  for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, unknown>
  node[path.at(-1)!] = value
}
