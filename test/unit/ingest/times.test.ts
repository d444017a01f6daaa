import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { parseSysmonUtcTime, parseSystemTime } from '../../../src/ingest/times.js'

/**
 * The per-event time parsers are hand-written (no regex); they must mean exactly what the
 * formats' regular expressions say, checked here against those expressions and Date's calendar.
 */

const SYSMON_UTC = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?$/
const SYSTEM_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?Z$/

function reference(re: RegExp, v: string): number | null {
  const m = re.exec(v)
  if (m === null) return null
  const [y, mo, d, h, mi, s] = [1, 2, 3, 4, 5, 6].map((i) => Number(m[i]))
  const t = Date.UTC(y!, mo! - 1, d!, h!, mi!, s!, Number((m[7] ?? '').padEnd(3, '0').slice(0, 3)))
  const back = new Date(t)
  const same = back.getUTCMonth() === mo! - 1 && back.getUTCDate() === d && back.getUTCHours() === h && back.getUTCMinutes() === mi && back.getUTCSeconds() === s
  return same && y! >= 100 ? t : null
}

const pad = (n: number, w: number) => String(n).padStart(w, '0')
const nearlyValid = fc
  .tuple(
    fc.integer({ min: 0, max: 9999 }), fc.integer({ min: 0, max: 13 }), fc.integer({ min: 0, max: 32 }), fc.integer({ min: 0, max: 25 }),
    fc.integer({ min: 0, max: 61 }), fc.integer({ min: 0, max: 61 }), fc.string({ unit: fc.constantFrom(...'0123456789'), maxLength: 11 }),
    fc.constantFrom(' ', 'T', 'x'), fc.constantFrom('', 'Z', 'z', 'Z\n', '\n'),
  )
  .map(([y, mo, d, h, mi, s, f, sep, z]) => `${pad(y, 4)}-${pad(mo, 2)}-${pad(d, 2)}${sep}${pad(h, 2)}:${pad(mi, 2)}:${pad(s, 2)}${f === '' ? '' : `.${f}`}${z}`)
const noise = fc.string({ unit: fc.constantFrom(...'0123456789-: T.Z+', '٣', '\n'), maxLength: 32 })

describe('time parsers', () => {
  it('agree with the formats’ regular expressions and the calendar', () => {
    fc.assert(
      fc.property(fc.oneof(nearlyValid, noise), (v) => {
        expect(parseSysmonUtcTime(v)).toBe(reference(SYSMON_UTC, v))
        expect(parseSystemTime(v)).toBe(reference(SYSTEM_TIME, v))
      }),
      { numRuns: 20000 },
    )
  })

  it('read leap days, cut sub-millisecond digits and refuse what is out of range', () => {
    expect(parseSysmonUtcTime('2024-02-29 23:59:59.9999')).toBe(Date.UTC(2024, 1, 29, 23, 59, 59, 999))
    expect(parseSysmonUtcTime('2023-02-29 00:00:00')).toBeNull()
    expect(parseSystemTime('2000-02-29T00:00:00.5Z')).toBe(Date.UTC(2000, 1, 29, 0, 0, 0, 500))
    expect(parseSystemTime('1900-02-29T00:00:00Z')).toBeNull()
    expect(parseSystemTime('0099-01-01T00:00:00Z')).toBeNull()
    expect(parseSystemTime('2026-01-01T00:00:00.1234567891Z')).toBeNull()
    expect(parseSystemTime('2026-01-01T00:00:00.Z')).toBeNull()
    expect(parseSystemTime('2026-01-01T24:00:00Z')).toBeNull()
  })
})
