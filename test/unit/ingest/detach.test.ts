import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { detach, detachOrNull } from '../../../src/ingest/detach.js'

// A full collection on demand, to see what a kept value still holds on to.
setFlagsFromString('--expose-gc')
const collect = runInNewContext('gc') as () => void

describe('detach', () => {
  it('returns the same text, short or long, Latin-1 or not', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 80 }), fc.nat(20), (s, skip) => {
        const line = `${'<'.repeat(skip)}${s}>`
        expect(detach(line.slice(skip, skip + s.length))).toBe(s)
      }),
      { numRuns: 500 },
    )
    expect(detachOrNull(null)).toBeNull()
  })

  it('lets the line a value was cut from be collected', () => {
    const keep = (source: () => string, copy: (s: string) => string): number => {
      collect()
      const before = process.memoryUsage().heapUsed
      let line: string | null = source()
      const kept = Array.from({ length: 100 }, (_, i) => copy(line!.slice(i * 1000, i * 1000 + 120)))
      line = null
      collect()
      const retained = process.memoryUsage().heapUsed - before
      expect(kept.every((k) => k.length === 120)).toBe(true)
      return retained
    }
    const bigLine = () => `${'x'.repeat(16_000_000)}${Math.random()}`
    // The control: plain substrings keep the whole 16 MB line alive.
    expect(keep(bigLine, (s) => s)).toBeGreaterThan(12_000_000)
    expect(keep(bigLine, detach)).toBeLessThan(1_000_000)
  })
})
