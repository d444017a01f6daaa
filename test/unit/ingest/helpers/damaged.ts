import fc from 'fast-check'
import { expect } from 'vitest'
import { readAll } from './read.js'

/**
 * The property every binary format's reader must hold: `file` cut anywhere (not shorter than
 * `shortest` bytes) and with up to 8 bytes overwritten is read to its end without throwing, and
 * every event it still gives has bytes of its own.
 */
export async function expectReadsWhenDamaged(file: Buffer, shortest: number, numRuns: number): Promise<void> {
  await fc.assert(
    fc.asyncProperty(fc.array(fc.tuple(fc.nat(file.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }), fc.nat(file.length), async (flips, cut) => {
      const damaged = Buffer.from(file.subarray(0, Math.max(cut, shortest)))
      for (const [at, value] of flips) if (at < damaged.length) damaged[at] = value
      const items = await readAll(damaged, {}, [4096])
      expect(items.every((i) => i.kind !== 'event' || (i.rawOffset >= 0 && i.rawLength > 0))).toBe(true)
    }),
    { numRuns },
  )
}
