import { fullGc } from './full-gc.js'

/**
 * Keeps a long streaming job's memory close to what it really holds.
 *
 * Parsing a multi-gigabyte upload creates garbage at a steady rate (decompressed chunks, lines,
 * CSV text for COPY), and V8 lets it pile up: old space grows by a factor before it is marked,
 * and buffers are only counted once they exceed 64 MiB more than after the last collection. The
 * process then peaks far above its live data. The governor looks at the heap and buffer memory
 * every `checkEveryBytes` of input and collects when it exceeds what was live after the last
 * collection by more than `headroomBytes` — so memory stays within live data + headroom, and a
 * job whose live data grows (many detection groups) raises the bar instead of collecting on
 * every check.
 */

export interface MemoryUsageSample {
  readonly heapUsed: number
  readonly arrayBuffers: number
}

export interface MemoryGovernorOptions {
  /** Garbage allowed above the live data (default 32 MiB). */
  readonly headroomBytes?: number
  /** Never collect below this much heap + buffer memory (default 64 MiB). */
  readonly floorBytes?: number
  /** How much input passes between looks at memory (default 4 MiB). */
  readonly checkEveryBytes?: number
  /** Reads heap and buffer memory (default process.memoryUsage). */
  readonly usage?: () => MemoryUsageSample
  /** Collects garbage (default a full V8 collection; null disables the governor). */
  readonly collect?: (() => void) | null
}

const MiB = 1024 * 1024

export class MemoryGovernor {
  /** Collections made so far. */
  collections = 0
  private readonly headroom: number
  private readonly floor: number
  private readonly checkEvery: number
  private readonly usage: () => MemoryUsageSample
  private readonly collect: (() => void) | null
  private threshold: number
  private sinceCheck = 0

  constructor(options: MemoryGovernorOptions = {}) {
    this.headroom = options.headroomBytes ?? 32 * MiB
    this.floor = options.floorBytes ?? 64 * MiB
    this.checkEvery = options.checkEveryBytes ?? 4 * MiB
    this.usage = options.usage ?? (() => process.memoryUsage())
    this.collect = options.collect === undefined ? fullGc() : options.collect
    this.threshold = this.floor
  }

  /** Records `bytes` more input; collects garbage when memory is over the threshold. */
  consumed(bytes: number): void {
    this.sinceCheck += bytes
    if (this.sinceCheck < this.checkEvery) return
    this.sinceCheck = 0
    this.check()
  }

  /** Collects garbage now if memory is over the threshold; returns whether it did. */
  check(): boolean {
    if (this.collect === null || footprint(this.usage()) <= this.threshold) return false
    this.collect()
    this.collections++
    this.threshold = Math.max(this.floor, footprint(this.usage()) + this.headroom)
    return true
  }
}

const footprint = (m: MemoryUsageSample): number => m.heapUsed + m.arrayBuffers

/** One governor per process: memory is shared by every job and request the process runs. */
let shared: MemoryGovernor | undefined
export function processMemoryGovernor(): MemoryGovernor {
  shared ??= new MemoryGovernor()
  return shared
}

/** Passes `source` through, telling `governor` about each chunk's size. */
export async function* governed<T extends { readonly byteLength: number }>(source: AsyncIterable<T>, governor: MemoryGovernor = processMemoryGovernor()): AsyncGenerator<T> {
  for await (const chunk of source) {
    governor.consumed(chunk.byteLength)
    yield chunk
  }
}
