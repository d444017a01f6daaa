import { describe, expect, it } from 'vitest'
import { uploadProgressOf, type UploadProgressFigures } from '../../../src/services/upload-progress.js'

const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s))
const base: UploadProgressFigures = { status: 'QUEUED', sizeBytes: 1000n, bytesProcessed: 0n, eventsProcessed: 0n, eventCount: 0, startedAt: null, progressAt: null, finishedAt: null }

describe('uploadProgressOf', () => {
  it('knows nothing of rates or time left while queued', () => {
    expect(uploadProgressOf(base, at(10))).toEqual({ bytesProcessed: 0, bytesTotal: 1000, fraction: 0, eventsProcessed: 0, startedAt: null, updatedAt: null, bytesPerSecond: null, eventsPerSecond: null, etaSeconds: null })
  })

  it('gives rates over the run so far and the time left at that rate, less the time since the report', () => {
    const running = { ...base, status: 'RUNNING', startedAt: at(0), progressAt: at(4), bytesProcessed: 400n, eventsProcessed: 80n }
    expect(uploadProgressOf(running, at(4))).toMatchObject({ fraction: 0.4, bytesPerSecond: 100, eventsPerSecond: 20, etaSeconds: 6, updatedAt: at(4) })
    expect(uploadProgressOf(running, at(5)).etaSeconds).toBe(5)
    expect(uploadProgressOf(running, at(30)).etaSeconds).toBe(0)
  })

  it('has no rate before the first report of a run', () => {
    expect(uploadProgressOf({ ...base, status: 'RUNNING', startedAt: at(0) }, at(1))).toMatchObject({ bytesPerSecond: null, etaSeconds: null, startedAt: at(0) })
  })

  it('shows a succeeded upload whole, with the rates of its run and nothing left', () => {
    const done = { ...base, status: 'SUCCEEDED', startedAt: at(0), progressAt: at(3), finishedAt: at(5), bytesProcessed: 900n, eventsProcessed: 170n, eventCount: 200 }
    expect(uploadProgressOf(done, at(60))).toMatchObject({ bytesProcessed: 1000, fraction: 1, eventsProcessed: 200, bytesPerSecond: 200, eventsPerSecond: 40, etaSeconds: 0, updatedAt: at(5) })
  })

  it('keeps a failed upload where it stopped, with no estimate', () => {
    const failed = { ...base, status: 'FAILED', startedAt: at(0), progressAt: at(2), finishedAt: at(2), bytesProcessed: 300n, eventsProcessed: 10n }
    expect(uploadProgressOf(failed, at(9))).toMatchObject({ bytesProcessed: 300, fraction: 0.3, etaSeconds: null, bytesPerSecond: 150 })
  })

  it('counts an empty upload as done once finished', () => {
    expect(uploadProgressOf({ ...base, sizeBytes: 0n, status: 'FAILED', finishedAt: at(1) }, at(2)).fraction).toBe(1)
  })
})
