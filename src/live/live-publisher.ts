import { Redis } from 'ioredis'
import type { Logger } from 'pino'
import { liveChannel, type LiveMessage } from './live-message.js'

/**
 * The workers' side of live updates: PUBLISH on the tenant's channel. Fire and forget — a job
 * never waits for it and never fails because of it: with Redis away a message is dropped at once
 * (no offline queue growing in memory), and subscribers catch up from Postgres (live-hub.ts).
 */
export interface LivePublisher {
  publish(tenantId: string, message: LiveMessage): void
  close(): Promise<void>
}

/** How often a failing publish is logged at most (a Redis outage would otherwise log per message). */
const WARN_EVERY_MS = 60_000

export function createLivePublisher(opts: { redisUrl: string; prefix: string; log: Logger }): LivePublisher {
  const redis = new Redis(opts.redisUrl, { enableOfflineQueue: false, maxRetriesPerRequest: 1, connectionName: `${opts.prefix}:live-publisher` })
  let warnedAt = 0
  const warn = (err: unknown): void => {
    if (Date.now() - warnedAt < WARN_EVERY_MS) return
    warnedAt = Date.now()
    opts.log.warn({ err: (err as Error).message }, 'live updates: a message could not be published (subscribers catch up from Postgres)')
  }
  redis.on('error', warn)
  return {
    publish(tenantId, message) {
      redis.publish(liveChannel(opts.prefix, tenantId), JSON.stringify(message)).catch(warn)
    },
    async close() {
      await redis.quit().catch(() => redis.disconnect())
    },
  }
}
