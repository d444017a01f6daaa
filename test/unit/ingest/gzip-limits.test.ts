import { Readable } from 'node:stream'
import { buffer } from 'node:stream/consumers'
import { createGzip, gzipSync } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import { DEFAULT_RATIO_GRACE_BYTES, gunzipBounded } from '../../../src/ingest/bytes/gunzip.js'
import type { IngestItem } from '../../../src/ingest/index.js'
import { fixture, readAll } from './helpers/read.js'

/**
 * Gzip bombs: the inflated:compressed ratio (after the first MiB) and the absolute inflated size
 * both stop the read with one precise error; the events read before it are kept.
 */

const MiB = 1024 * 1024
const sysmon = fixture('sysmon/ngrok-synthetic.xml')

/** `mebibytes` MiB of zeros gzipped as it streams: the 200 MB of a bomb are never in memory or on disk. */
async function zerosGzipped(mebibytes: number, prefix: Buffer = Buffer.alloc(0)): Promise<Buffer> {
  const zeros = Buffer.alloc(MiB)
  async function* plain() {
    if (prefix.length > 0) yield prefix
    for (let i = 0; i < mebibytes; i++) yield zeros
  }
  return buffer(Readable.from(plain()).pipe(createGzip()))
}

/** Inflates everything `gunzipBounded` lets through, counting bytes; returns the count and the error. */
async function inflate(gz: Buffer, limits: Parameters<typeof gunzipBounded>[1]): Promise<{ bytes: number; error: Error | null }> {
  let bytes = 0
  try {
    for await (const out of gunzipBounded(Readable.from([gz]), limits)) bytes += out.length
    return { bytes, error: null }
  } catch (error) {
    return { bytes, error: error as Error }
  }
}

const errors = (items: IngestItem[]) => items.flatMap((i) => (i.kind === 'error' ? [i] : []))

describe('gzip decompression limits', () => {
  it('stops a 200 MB bomb of zeros at the ratio limit, just after the first MiB, naming the bytes and the ratio', async () => {
    const bomb = await zerosGzipped(200)
    expect(bomb.length).toBeLessThan(300_000) // ~1000:1, as bombs are
    const { bytes, error } = await inflate(bomb, { maxBytes: 4 * 1024 * MiB, maxRatio: 100 })
    expect(error?.message).toMatch(/^gzip data inflates more than 100:1 \((\d+) bytes from (\d+) compressed bytes, (\d+):1; maxDecompressionRatio\), likely a decompression bomb; rest not read$/)
    const [, inflated, compressed, ratio] = /\((\d+) bytes from (\d+) compressed bytes, (\d+):1/.exec(error!.message)!.map(Number)
    expect(inflated).toBeGreaterThan(DEFAULT_RATIO_GRACE_BYTES)
    expect(inflated).toBeLessThan(2 * MiB) // parsing stopped early: not 200 MB
    expect(ratio).toBe(Math.floor(inflated! / compressed!))
    expect(ratio).toBeGreaterThan(100)
    expect(bytes).toBeLessThan(inflated!) // the chunk that broke the limit is not passed on
  })

  it('stops the same bomb at the absolute cap when the ratio limit is off (0)', async () => {
    const { bytes, error } = await inflate(await zerosGzipped(200), { maxBytes: 8 * MiB, maxRatio: 0 })
    expect(error?.message).toMatch(/^gzip data inflates to more than 8388608 bytes \(maxDecompressedBytes; stopped after \d+ compressed bytes\); rest not read$/)
    expect(bytes).toBeLessThanOrEqual(8 * MiB)
    expect(bytes).toBeGreaterThan(7 * MiB)
  })

  it('lets real logs through: several MiB of Sysmon XML compress well under 100:1', async () => {
    const logs = Buffer.concat(Array.from({ length: 60 }, () => sysmon)) // ~4.5 MB
    const { bytes, error } = await inflate(gzipSync(logs, { level: 9 }), { maxBytes: 4 * 1024 * MiB, maxRatio: 100 })
    expect(error).toBeNull()
    expect(bytes).toBe(logs.length)
  })

  it('allows any ratio within the first MiB (a small, very repetitive file is not a bomb)', async () => {
    const { bytes, error } = await inflate(await zerosGzipped(1), { maxBytes: 4 * 1024 * MiB, maxRatio: 2 })
    expect(error).toBeNull()
    expect(bytes).toBe(MiB)
  })

  it('through the reader: events before a bomb are kept, one error at the line where reading stopped', async () => {
    const input = await zerosGzipped(200, sysmon) // real events, then the bomb in the same gzip stream
    const started = performance.now()
    const items = await readAll(input) // the reader's defaults: 100:1, 4 GiB
    expect(performance.now() - started).toBeLessThan(5_000)
    const plainItems = await readAll(sysmon)
    expect(items.filter((i) => i.kind === 'event')).toEqual(plainItems.filter((i) => i.kind === 'event'))
    // The fixture's own malformed lines, then one error for the bomb.
    const [only, ...before] = errors(items).reverse()
    expect(before.reverse()).toEqual(errors(plainItems))
    expect(only!.message).toMatch(/^gzip data inflates more than 100:1 \(\d+ bytes from \d+ compressed bytes, \d+:1; maxDecompressionRatio\)/)
    // The zeros follow the last line of the fixture: that line is where the data stopped.
    expect(only!.offset).toBe(sysmon.length)
    expect(only!.line).toBe(sysmon.toString('latin1').split('\n').length)
  })
})
