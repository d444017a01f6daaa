import { Buffer } from 'node:buffer'

/**
 * Reads the first `n` bytes of a stream without losing them: `rest` replays them and then the
 * remainder. Stopping `rest` early closes the underlying iterator.
 */
export async function peek(input: AsyncIterable<Uint8Array>, n: number): Promise<{ head: Buffer; rest: AsyncIterable<Uint8Array> }> {
  const iterator = input[Symbol.asyncIterator]()
  const taken: Uint8Array[] = []
  let size = 0
  let done = false
  while (size < n) {
    const r = await iterator.next()
    if (r.done) {
      done = true
      break
    }
    taken.push(r.value)
    size += r.value.byteLength
  }
  async function* rest(): AsyncGenerator<Uint8Array> {
    try {
      yield* taken
      while (!done) {
        const r = await iterator.next()
        if (r.done) done = true
        else yield r.value
      }
    } finally {
      if (!done) await iterator.return?.()
    }
  }
  return { head: Buffer.concat(taken), rest: rest() }
}
