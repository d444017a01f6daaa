import { describe, expect, it } from 'vitest'
import { fullGc } from '../../../src/runtime/full-gc.js'
import { MemoryGovernor, governed, type MemoryUsageSample } from '../../../src/runtime/memory-governor.js'

const MiB = 1024 * 1024

/** A heap whose footprint the test sets; collecting drops it to `live`. */
function fakeHeap(live: number) {
  const heap = { footprint: live, live, collections: 0 }
  const usage = (): MemoryUsageSample => ({ heapUsed: heap.footprint, arrayBuffers: 0 })
  const collect = (): void => {
    heap.collections++
    heap.footprint = heap.live
  }
  return { heap, usage, collect }
}

describe('MemoryGovernor', () => {
  it('collects only when heap and buffers exceed the floor, then lets them grow by the headroom above what survived', () => {
    const { heap, usage, collect } = fakeHeap(40 * MiB)
    const g = new MemoryGovernor({ usage, collect, floorBytes: 64 * MiB, headroomBytes: 32 * MiB, checkEveryBytes: 1 })
    heap.footprint = 64 * MiB
    expect(g.check()).toBe(false)
    heap.footprint = 65 * MiB
    expect(g.check()).toBe(true)
    expect(heap.footprint).toBe(40 * MiB)
    // Live data grew to 60 MiB: the next threshold is 60 + 32, not the floor.
    heap.live = 60 * MiB
    heap.footprint = 72 * MiB
    expect(g.check()).toBe(false)
    heap.footprint = 73 * MiB
    expect(g.check()).toBe(true)
    heap.footprint = 92 * MiB
    expect(g.check()).toBe(false)
    heap.footprint = 93 * MiB
    expect(g.check()).toBe(true)
    expect(g.collections).toBe(3)
    expect(heap.collections).toBe(3)
  })

  it('looks at memory once per checkEveryBytes of input', () => {
    const { heap, usage, collect } = fakeHeap(100 * MiB)
    let looks = 0
    const g = new MemoryGovernor({ usage: () => (looks++, usage()), collect, floorBytes: 0, headroomBytes: 0, checkEveryBytes: 4 * MiB })
    heap.footprint = 200 * MiB
    for (let i = 0; i < 3; i++) g.consumed(MiB)
    expect(looks).toBe(0)
    g.consumed(MiB)
    expect(heap.collections).toBe(1)
    for (let i = 0; i < 3; i++) g.consumed(MiB)
    expect(heap.collections).toBe(1)
  })

  it('does nothing without a collector', () => {
    const g = new MemoryGovernor({ usage: () => ({ heapUsed: 1e12, arrayBuffers: 0 }), collect: null })
    expect(g.check()).toBe(false)
  })

  it('passes chunks through unchanged while counting their bytes', async () => {
    const { heap, usage, collect } = fakeHeap(0)
    heap.footprint = 10
    const g = new MemoryGovernor({ usage, collect, floorBytes: 0, headroomBytes: 0, checkEveryBytes: 3 })
    async function* source() {
      yield Buffer.from('ab')
      yield Buffer.from('cd')
      yield Buffer.from('e')
    }
    const out: string[] = []
    for await (const c of governed(source(), g)) out.push(c.toString())
    expect(out).toEqual(['ab', 'cd', 'e'])
    expect(heap.collections).toBe(1)
  })
})

describe('fullGc', () => {
  it('is available in this runtime and collects unreachable objects at once', async () => {
    const gc = fullGc()
    expect(gc).toBeTypeOf('function')
    const ref = ((): WeakRef<Buffer> => new WeakRef(Buffer.alloc(MiB, 1)))()
    // A WeakRef's target is kept until the job that made (or last dereferenced) it ends; collect after it.
    await new Promise((resolve) => setImmediate(resolve))
    gc!()
    expect(ref.deref()).toBeUndefined()
  })
})
