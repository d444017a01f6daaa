/**
 * A value read at most once per `maxAgeMs` and given up after `timeoutMs`: gauges read Redis and
 * Postgres when scraped, and neither several Prometheus servers scraping every few seconds nor a
 * dependency that does not answer may turn a scrape into load or a hang.
 */
export function cachedRead<T>(read: () => Promise<T>, opts: { maxAgeMs: number; timeoutMs: number }): () => Promise<T> {
  let last: { at: number; value: Promise<T> } | null = null
  return () => {
    const now = performance.now()
    if (last === null || now - last.at >= opts.maxAgeMs) {
      const value = withTimeout(read(), opts.timeoutMs)
      // A failed read is not kept: the next scrape tries again.
      value.catch(() => {
        if (last?.value === value) last = null
      })
      last = { at: now, value }
    }
    return last.value
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms)
  })
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}
