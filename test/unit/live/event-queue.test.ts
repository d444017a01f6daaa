import { describe, expect, it } from 'vitest'
import { eventQueue } from '../../../src/live/event-queue.js'
import { parseLiveMessage } from '../../../src/live/live-message.js'

describe('eventQueue', () => {
  it('hands values over in order, then ends', async () => {
    const q = eventQueue<number>()
    q.push(1)
    q.push(2)
    q.end()
    const seen: number[] = []
    for await (const v of q.iterator) seen.push(v)
    expect(seen).toEqual([1, 2])
  })

  it('ends at once on return() while a reader waits, and releases its source', async () => {
    let closed = 0
    const q = eventQueue<number>({ onClose: () => closed++ })
    const waiting = q.iterator.next()
    await q.iterator.return()
    await expect(waiting).resolves.toEqual({ value: undefined, done: true })
    expect(closed).toBe(1)
    q.push(3)
    await expect(q.iterator.next()).resolves.toMatchObject({ done: true })
  })

  it('keeps only the latest value for a slow reader when asked to', async () => {
    const q = eventQueue<number>({ latestOnly: true })
    for (const v of [1, 2, 3]) q.push(v)
    expect(await q.iterator.next()).toEqual({ value: 3, done: false })
  })

  it('fails a reader that falls too far behind instead of holding everything', async () => {
    const q = eventQueue<number>({ maxWaiting: 2 })
    for (const v of [1, 2, 3]) q.push(v)
    expect((await q.iterator.next()).value).toBe(1)
    expect((await q.iterator.next()).value).toBe(2)
    await expect(q.iterator.next()).rejects.toThrow(/too slowly/)
  })
})

describe('parseLiveMessage', () => {
  const id = '00000000-0000-4000-8000-000000000001'
  it('accepts the messages workers send', () => {
    expect(parseLiveMessage(JSON.stringify({ type: 'upload-changed', uploadId: id }))).toEqual({ type: 'upload-changed', uploadId: id })
    expect(parseLiveMessage(JSON.stringify({ type: 'detections-created', ids: [id] }))).not.toBeNull()
  })
  it('ignores anything malformed', () => {
    for (const text of ['nope', 'null', '{"type":"upload-changed","uploadId":"x"}', `{"type":"detections-created","ids":["${id}", 1]}`, `{"type":"upload-progress","uploadId":"${id}","bytesProcessed":-1,"eventsProcessed":0,"startedAt":"2026-01-01T00:00:00Z","at":"2026-01-01T00:00:00Z"}`]) {
      expect(parseLiveMessage(text), text).toBeNull()
    }
  })
})
