import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { plannedCoverage, sameCoverage } from '../../../src/scans/scan-targets.js'
import { formatDuration, formatRelativeTime, nextCronRun, parseRelativeTime, scheduleWindow } from '../../../src/scans/schedule-window.js'
import { covers, mergeRanges, WHOLE_UPLOAD, widenToUploadSpan, type TimeRange } from '../../../src/store/rule-coverage.js'
import { uuidFromText } from '../../../src/store/scans.js'

const r = (from: number, to: number): TimeRange => ({ from, to })

describe('coverage ranges', () => {
  it('merges overlapping and adjacent ranges, drops empty ones, and sorts', () => {
    expect(mergeRanges([r(10, 20), r(0, 5), r(5, 8), r(15, 30), r(40, 40)])).toEqual([r(0, 8), r(10, 30)])
    expect(mergeRanges([r(0, 5), WHOLE_UPLOAD])).toEqual([WHOLE_UPLOAD])
  })

  it('merging is the union: a point is in the result exactly when it is in some input range', () => {
    const range = fc.tuple(fc.integer({ min: 0, max: 50 }), fc.integer({ min: 0, max: 50 })).map(([a, b]) => r(a, b))
    fc.assert(
      fc.property(fc.array(range, { maxLength: 8 }), (ranges) => {
        const merged = mergeRanges(ranges)
        for (let i = 1; i < merged.length; i++) expect(merged[i]!.from).toBeGreaterThan(merged[i - 1]!.to)
        for (let t = 0; t <= 50; t++) {
          const inInput = ranges.some((x) => x.from <= t && t < x.to)
          const inMerged = merged.some((x) => x.from <= t && t < x.to)
          expect(inMerged).toBe(inInput)
        }
      }),
    )
  })

  it('covers a range only when one merged range contains all of it', () => {
    expect(covers([r(0, 10)], r(2, 10))).toBe(true)
    expect(covers([r(0, 10), r(20, 30)], r(5, 25))).toBe(false)
    expect(covers([WHOLE_UPLOAD], r(-1e15, 1e15))).toBe(true)
  })

  it('plans nothing for a window already covered at the same revision, and the union otherwise', () => {
    const before = { revision: 2, ranges: [r(0, 10)] }
    expect(plannedCoverage(before, 2, r(3, 7))).toBeNull()
    expect(plannedCoverage(before, 2, r(5, 15))).toEqual([r(0, 15)])
    // A new revision re-evaluates what the rule covered before, and the window.
    expect(plannedCoverage(before, 3, r(3, 7))).toEqual([r(0, 10)])
    expect(plannedCoverage(before, 2, r(3, 7), true)).toEqual([r(0, 10)])
    expect(plannedCoverage(null, 1, r(3, 7))).toEqual([r(3, 7)])
  })

  it('tells equal coverages apart from changed ones', () => {
    expect(sameCoverage(null, null)).toBe(true)
    expect(sameCoverage({ revision: 1, ranges: [r(0, 1)] }, { revision: 1, ranges: [r(0, 1)] })).toBe(true)
    expect(sameCoverage({ revision: 1, ranges: [r(0, 1)] }, { revision: 2, ranges: [r(0, 1)] })).toBe(false)
    expect(sameCoverage({ revision: 1, ranges: [r(0, 1)] }, null)).toBe(false)
  })

  it('widens a range to open ends where it reaches past the upload\'s first or last event, and only there', () => {
    const span = { first: 100, last: 200 }
    expect(widenToUploadSpan(r(50, 300), span)).toEqual(WHOLE_UPLOAD)
    expect(widenToUploadSpan(r(100, 201), span)).toEqual(WHOLE_UPLOAD)
    expect(widenToUploadSpan(r(101, 200), span)).toEqual(r(101, 200))
    expect(widenToUploadSpan(r(150, 250), span)).toEqual(r(150, Infinity))
    expect(widenToUploadSpan(r(0, 150), span)).toEqual(r(-Infinity, 150))
    expect(widenToUploadSpan(r(150, 250), undefined)).toEqual(r(150, 250))
    // Same events: for any event time within the span, the widened range holds it exactly when the range does.
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 300 }), fc.integer({ min: 0, max: 300 }), fc.integer({ min: 100, max: 200 }), (a, b, t) => {
        const range = r(Math.min(a, b), Math.max(a, b))
        const wide = widenToUploadSpan(range, span)
        expect(wide.from <= t && t < wide.to).toBe(range.from <= t && t < range.to)
      }),
    )
  })
})

describe('schedule windows', () => {
  const now = new Date('2026-11-30T12:00:00Z')
  const at = (iso: string) => new Date(iso)

  it('is -70m..-10m of the run by default (ESCU), with nothing to backfill after a regular run', () => {
    expect(scheduleWindow({ now, windowStartSeconds: -4200, windowEndSeconds: -600, coveredUntil: at('2026-11-30T10:50:00Z') })).toEqual({
      from: at('2026-11-30T10:50:00Z'),
      to: at('2026-11-30T11:50:00Z'),
      backfilledFrom: null,
    })
  })

  it('starts where the last run ended when runs were missed, and says where it would have started', () => {
    expect(scheduleWindow({ now, windowStartSeconds: -4200, windowEndSeconds: -600, coveredUntil: at('2026-11-30T06:50:00Z') })).toEqual({
      from: at('2026-11-30T06:50:00Z'),
      to: at('2026-11-30T11:50:00Z'),
      backfilledFrom: at('2026-11-30T10:50:00Z'),
    })
  })

  it('reads ESCU relative times and refuses others, naming the field', () => {
    expect(parseRelativeTime('-70m', 'windowStart')).toBe(-4200)
    expect(parseRelativeTime('-1h', 'x')).toBe(-3600)
    expect(parseRelativeTime('-2d', 'x')).toBe(-172800)
    expect(parseRelativeTime('now', 'x')).toBe(0)
    expect(() => parseRelativeTime('+5m', 'windowEnd')).toThrow(/windowEnd: "\+5m"/)
    expect(() => parseRelativeTime('-5w', 'windowEnd')).toThrow(/windowEnd/)
  })

  it('writes relative times and durations back in the largest whole unit, the inverse of parsing them', () => {
    for (const text of ['-70m', '-10m', '-1h', '-2d', '-45s', 'now']) expect(formatRelativeTime(parseRelativeTime(text, 'x'))).toBe(text)
    expect(formatRelativeTime(-5400)).toBe('-90m')
    expect(formatDuration(3600)).toBe('1h')
    expect(formatDuration(2_592_000)).toBe('30d')
  })

  it('computes the next cron run in the schedule’s time zone, and refuses bad expressions and zones', () => {
    expect(nextCronRun('0 9 * * *', 'Europe/Paris', now)).toEqual(at('2026-12-01T08:00:00Z'))
    expect(nextCronRun('0 9 * * *', 'UTC', now)).toEqual(at('2026-12-01T09:00:00Z'))
    expect(() => nextCronRun('0 9 * *', 'UTC', now)).toThrow(/must have 5 fields/)
    expect(() => nextCronRun('0 25 * * *', 'UTC', now)).toThrow(/cron/)
    expect(() => nextCronRun('0 9 * * *', 'Nowhere/City', now)).toThrow(/timeZone/)
  })

  it('derives one well-formed UUID per text', () => {
    const a = uuidFromText('schedule/job-1')
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
    expect(uuidFromText('schedule/job-1')).toBe(a)
    expect(uuidFromText('schedule/job-2')).not.toBe(a)
  })
})

describe('hours of event time', () => {
  const H = 3_600_000
  it('splits a range into whole hours and the partial pieces at its edges', async () => {
    const { splitByHours } = await import('../../../src/store/event-hours.js')
    expect(splitByHours(r(10 * H + 1800_000, 14 * H + 60_000))).toEqual({ whole: r(11 * H, 14 * H), edges: [r(10 * H + 1800_000, 11 * H), r(14 * H, 14 * H + 60_000)] })
    expect(splitByHours(r(10 * H, 12 * H))).toEqual({ whole: r(10 * H, 12 * H), edges: [] })
    // Inside one hour: no whole hour, the range itself is the edge (counted once).
    expect(splitByHours(r(10 * H + 60_000, 10 * H + 120_000))).toEqual({ whole: null, edges: [r(10 * H + 60_000, 10 * H + 120_000)] })
    // Across one hour boundary, with no whole hour between: counted event by event, once.
    expect(splitByHours(r(10 * H + 60_000, 11 * H + 120_000))).toEqual({ whole: null, edges: [r(10 * H + 60_000, 11 * H + 120_000)] })
    expect(splitByHours(WHOLE_UPLOAD)).toEqual({ whole: WHOLE_UPLOAD, edges: [] })
  })
})
