import { gzipSync } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import { readEventBatches } from '../../../src/ingest/index.js'
import { readAll, summary } from './helpers/read.js'

// A binary file sent in place of a log export gets ONE error that names what it is and what to
// send instead — not an "invalid UTF-8" error for every "line" of the binary — and is not read on.
// (EVTX, Windows' own binary event log, and ZIP archives are read: evtx.test.ts, zip.test.ts.)

/** The first bytes of each format, then binary noise with newlines in it (as a real file has). */
const noise = Buffer.from(Array.from({ length: 4000 }, (_, i) => (i * 151 + 7) % 256))
const file = (head: number[] | string): Buffer => Buffer.concat([typeof head === 'string' ? Buffer.from(head, 'latin1') : Buffer.from(head), noise])

const CASES: [string, Buffer, RegExp][] = [
  ['empty ZIP', file('PK\x05\x06'), /^the file is an empty ZIP archive/],
  ['bzip2', file('BZh91AY&SY'), /^the file is compressed with bzip2, which is not read/],
  ['xz', file([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00, 0x00]), /^the file is compressed with xz, which is not read/],
  ['zstd', file([0x28, 0xb5, 0x2f, 0xfd, 0x04]), /^the file is compressed with zstd, which is not read/],
  ['7-Zip', file([0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c, 0x00]), /^the file is a 7-Zip archive, which is not read/],
]

describe('a binary file in place of a log', () => {
  it.each(CASES)('%s: one error on line 1 at offset 0 that names it, gzip-compressed or not', async (_, bytes, message) => {
    for (const input of [bytes, gzipSync(bytes)]) {
      const items = await readAll(input, {}, [3, 1000])
      expect(items).toEqual([{ kind: 'error', line: 1, offset: 0, message: expect.stringMatching(message) }])
    }
  })

  it('is not read past its head, and its source is closed', async () => {
    let pulled = 0
    let closed = false
    async function* source(): AsyncGenerator<Uint8Array> {
      try {
        for (let i = 0; i < 1000; i++) {
          pulled++
          yield i === 0 ? CASES[0]![1] : noise
        }
      } finally {
        closed = true
      }
    }
    const items = []
    for await (const batch of readEventBatches(source())) items.push(...batch.items)
    expect(items).toHaveLength(1)
    expect(pulled).toBe(1)
    expect(closed).toBe(true)
  })

  it('text that merely starts with the same letters is read as text', async () => {
    // "BZh" without bzip2's block magic, "PK" without a ZIP header.
    expect(summary(await readAll('BZh is not bzip2\nPK neither\n'))).toEqual([
      `1 error unrecognized line: expected a Windows XML event ('<') or a JSON object or array ('{', '['), found "BZh is not bzip2"`,
      `2 error unrecognized line: expected a Windows XML event ('<') or a JSON object or array ('{', '['), found "PK neither"`,
    ])
  })
})
