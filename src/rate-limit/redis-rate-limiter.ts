import { Redis, type Result } from 'ioredis'
import type { Logger } from 'pino'
import { GCRA_SCRIPT, WINDOW_MS } from './gcra.js'

/**
 * Per-caller request budgets kept in Redis, shared by every API process of a deployment.
 *
 * When Redis cannot answer (down, unreachable, slower than COMMAND_TIMEOUT_MS) the limiter FAILS
 * OPEN: the request goes through and a warning is logged (at most once a minute). The limits
 * protect capacity, not secrets: API keys carry 192 random bits, so a guesser gains nothing from a
 * Redis outage, while failing closed would turn it into an outage of the whole API — reads
 * included, which need only Postgres.
 */

declare module 'ioredis' {
  interface RedisCommander<Context> {
    gcra(bucket: string, intervalMs: string, windowMs: string, spend: '0' | '1'): Result<number, Context>
  }
}

export type RateDecision = { allowed: true } | { allowed: false; retryAfterMs: number }

export interface RateLimiter {
  /** Spends one of `bucket`'s `perMinute` requests; a refused request spends nothing. */
  take(bucket: string, perMinute: number): Promise<RateDecision>
  /** Whether one more request of `bucket` would fit, without spending it. */
  wouldAllow(bucket: string, perMinute: number): Promise<RateDecision>
  close(): Promise<void>
}

/** A limiter never waits longer than this for Redis before letting the request through. */
const COMMAND_TIMEOUT_MS = 500
const WARN_EVERY_MS = 60_000

export function createRedisRateLimiter(opts: { redisUrl: string; prefix: string; log: Logger }): RateLimiter {
  const redis = new Redis(opts.redisUrl, {
    // Fail fast instead of queueing commands while disconnected: the request must not wait.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: COMMAND_TIMEOUT_MS,
    connectTimeout: 2_000,
  })
  redis.defineCommand('gcra', { numberOfKeys: 1, lua: GCRA_SCRIPT })
  let lastWarning = 0
  const warn = (err: unknown): void => {
    if (Date.now() - lastWarning < WARN_EVERY_MS) return
    lastWarning = Date.now()
    opts.log.warn({ err: err instanceof Error ? err.message : String(err) }, 'rate limiter: Redis unavailable, requests are not rate-limited until it is back')
  }
  redis.on('error', warn)

  const decide = async (bucket: string, perMinute: number, spend: '0' | '1'): Promise<RateDecision> => {
    try {
      const waitMs = await redis.gcra(`${opts.prefix}:ratelimit:${bucket}`, String(WINDOW_MS / perMinute), String(WINDOW_MS), spend)
      return waitMs > 0 ? { allowed: false, retryAfterMs: waitMs } : { allowed: true }
    } catch (err) {
      warn(err)
      return { allowed: true }
    }
  }

  return {
    take: (bucket, perMinute) => decide(bucket, perMinute, '1'),
    wouldAllow: (bucket, perMinute) => decide(bucket, perMinute, '0'),
    async close() {
      redis.disconnect()
    },
  }
}
