/**
 * A push-fed async iterator: the shape GraphQL subscriptions consume. Unlike an `async function*`,
 * its return() ends it at once even while the consumer waits for the next value, so a client that
 * unsubscribes (or disconnects) releases its listener right away, not at the next event.
 *
 * `latestOnly`: values not yet read are replaced by newer ones (progress: only the latest figures
 * matter to a slow client). Otherwise at most `maxWaiting` values wait; past that the iterator
 * fails, rather than hold memory for a client that does not read.
 */

export interface EventQueue<T> {
  push(value: T): void
  /** Ends the iterator after the values already pushed. */
  end(): void
  /** Ends the iterator with an error, after the values already pushed. */
  fail(error: unknown): void
  readonly iterator: AsyncIterableIterator<T> & { return(): Promise<IteratorResult<T>> }
}

export function eventQueue<T>(opts: { latestOnly?: boolean; maxWaiting?: number; onClose?: () => void } = {}): EventQueue<T> {
  const maxWaiting = opts.maxWaiting ?? 10_000
  const waiting: T[] = []
  let reader: ((result: IteratorResult<T>) => void) | null = null
  let readerFailed: ((error: unknown) => void) | null = null
  let ended = false
  let failure: { error: unknown } | null = null
  let closed = false
  const close = (): void => {
    if (closed) return
    closed = true
    opts.onClose?.()
  }
  const settle = (): void => {
    if (!reader) return
    const resolve = reader
    const reject = readerFailed!
    if (waiting.length > 0) {
      reader = readerFailed = null
      resolve({ value: waiting.shift()!, done: false })
    } else if (failure) {
      reader = readerFailed = null
      close()
      reject(failure.error)
    } else if (ended) {
      reader = readerFailed = null
      close()
      resolve({ value: undefined, done: true })
    }
  }
  const iterator = {
    next(): Promise<IteratorResult<T>> {
      return new Promise<IteratorResult<T>>((resolve, reject) => {
        reader = resolve
        readerFailed = reject
        settle()
      })
    },
    async return(): Promise<IteratorResult<T>> {
      ended = true
      waiting.length = 0
      close()
      reader?.({ value: undefined, done: true })
      reader = readerFailed = null
      return { value: undefined, done: true }
    },
    [Symbol.asyncIterator]() {
      return iterator
    },
  }
  return {
    iterator,
    push(value) {
      if (ended || failure) return
      if (opts.latestOnly) waiting.length = 0
      else if (waiting.length >= maxWaiting) return this.fail(new Error(`the subscriber reads too slowly: ${maxWaiting} events are waiting`))
      waiting.push(value)
      settle()
    },
    end() {
      ended = true
      settle()
      if (waiting.length === 0 && !reader) close()
    },
    fail(error) {
      if (ended || failure) return
      failure = { error }
      settle()
      if (waiting.length === 0 && !reader) close()
    },
  }
}
