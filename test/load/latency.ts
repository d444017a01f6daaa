/**
 * Latency and failure bookkeeping of the load run, per kind of request. A failure keeps its first
 * few messages, so a failed run says what went wrong and not only how often.
 */

export interface LatencySummary {
  requests: number
  failures: number
  p50Ms: number
  p99Ms: number
  maxMs: number
  /** Requests per second over the measured window. */
  perSecond: number
  sampleFailures: string[]
}

export class LatencyRecorder {
  private readonly ms: number[] = []
  private failures = 0
  private readonly samples: string[] = []

  /** Times `request`; a thrown error or a `false` from `ok` is a failure (its message kept). */
  async time<T>(request: () => Promise<T>, ok: (value: T) => string | null): Promise<T | null> {
    const started = performance.now()
    try {
      const value = await request()
      this.ms.push(performance.now() - started)
      const problem = ok(value)
      if (problem !== null) this.fail(problem)
      return problem === null ? value : null
    } catch (err) {
      this.ms.push(performance.now() - started)
      this.fail(err instanceof Error ? `${err.message}${err.cause instanceof Error ? ` (${err.cause.message})` : ''}` : String(err))
      return null
    }
  }

  private fail(message: string): void {
    this.failures++
    if (this.samples.length < 5) this.samples.push(message.slice(0, 300))
  }

  summary(windowMs: number): LatencySummary {
    const sorted = [...this.ms].sort((a, b) => a - b)
    const at = (q: number): number => (sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!)
    return {
      requests: sorted.length,
      failures: this.failures,
      p50Ms: at(0.5),
      p99Ms: at(0.99),
      maxMs: sorted.at(-1) ?? 0,
      perSecond: sorted.length / (windowMs / 1000),
      sampleFailures: this.samples,
    }
  }
}
