import { describe, expect, it } from 'vitest'
import { bar, formatBytes, formatDuration, progressLine } from '../../../src/cli/progress-bar.js'

function terminal(isTTY: boolean, columns = 40) {
  const written: string[] = []
  return { written, stream: { isTTY, columns, write: (t: string) => written.push(t) > 0 } }
}

describe('progressLine', () => {
  it('redraws one line in place on a terminal, cut to its width, and erases it', () => {
    let t = 0
    const { written, stream } = terminal(true, 30)
    const line = progressLine(stream, { now: () => t })
    line.update('Uploading a.xml [#####-----]  50%  and much more text')
    t += 200
    line.update('second')
    line.clear()
    expect(written).toEqual(['\rUploading a.xml [#####-----] \x1b[K', '\rsecond\x1b[K', '\r\x1b[K'])
  })

  it('draws nothing when the stream is not a terminal', () => {
    const { written, stream } = terminal(false)
    const line = progressLine(stream)
    line.update('x')
    line.clear()
    expect(line.visible).toBe(false)
    expect(written).toEqual([])
  })

  it('throttles redraws and waits its delay before the first', () => {
    let t = 0
    const { written, stream } = terminal(true)
    const line = progressLine(stream, { now: () => t, delayMs: 500, intervalMs: 100 })
    line.update('too early')
    t = 600
    line.update('first')
    t = 650
    line.update('too soon')
    t = 720
    line.update('second')
    expect(written).toEqual(['\rfirst\x1b[K', '\rsecond\x1b[K'])
  })
})

describe('formatting', () => {
  it('draws bars, sizes and durations', () => {
    expect(bar(0.5, 10)).toBe('[#####-----]  50%')
    expect(bar(null, 4)).toBe('[----]   ?%')
    expect(bar(2, 4)).toBe('[####] 100%')
    expect([formatBytes(999), formatBytes(1536), formatBytes(25_000_000)]).toEqual(['999 B', '1.5 KB', '25.0 MB'])
    expect([formatDuration(null), formatDuration(5.4), formatDuration(75), formatDuration(7260)]).toEqual(['?', '5s', '1m15s', '2h01m'])
  })
})
