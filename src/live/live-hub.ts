import { Redis } from 'ioredis'
import type { Logger } from 'pino'
import { liveChannel, parseLiveMessage, type LiveMessage } from './live-message.js'

/**
 * The API's side of live updates: ONE Redis subscriber connection per API process, subscribed to
 * the channels of the tenants that have subscribers here (counted, so a channel is left when its
 * last subscriber goes), dispatching each message to that tenant's listeners only.
 *
 * Redis pub/sub delivers at most once: whatever is published while this connection is down is
 * lost. So when the connection comes back (ioredis reconnects and resubscribes by itself), every
 * listener is told to resync — to read its state from Postgres again.
 */

export interface LiveListener {
  message(message: LiveMessage): void
  /** Messages may have been lost: read the state again. */
  resync(): void
}

export interface LiveHub {
  /** Listens to one tenant's messages until the returned function is called. */
  listen(tenantId: string, listener: LiveListener): () => void
  close(): Promise<void>
}

export function createLiveHub(opts: { redisUrl: string; prefix: string; log: Logger }): LiveHub {
  const redis = new Redis(opts.redisUrl, { maxRetriesPerRequest: null, connectionName: `${opts.prefix}:live-hub` })
  const listeners = new Map<string, Set<LiveListener>>()
  let lostConnection = false
  redis.on('error', (err) => opts.log.warn({ err: err.message }, 'live updates: Redis subscriber connection error'))
  redis.on('close', () => {
    lostConnection = true
  })
  redis.on('ready', () => {
    if (!lostConnection) return
    lostConnection = false
    opts.log.info({ channels: listeners.size }, 'live updates: Redis subscriber reconnected; subscribers resync from Postgres')
    for (const set of listeners.values()) for (const l of set) safely(() => l.resync())
  })
  redis.on('message', (channel: string, text: string) => {
    const set = listeners.get(channel)
    if (!set) return
    const message = parseLiveMessage(text)
    if (message === null) return opts.log.warn({ channel }, 'live updates: malformed message ignored')
    for (const l of set) safely(() => l.message(message))
  })
  const safely = (fn: () => void): void => {
    try {
      fn()
    } catch (err) {
      opts.log.error({ err }, 'live updates: a listener failed')
    }
  }
  return {
    listen(tenantId, listener) {
      const channel = liveChannel(opts.prefix, tenantId)
      let set = listeners.get(channel)
      if (!set) {
        listeners.set(channel, (set = new Set()))
        redis.subscribe(channel).catch((err: Error) => opts.log.warn({ err: err.message }, 'live updates: subscribe failed'))
      }
      set.add(listener)
      return () => {
        const current = listeners.get(channel)
        if (!current?.delete(listener) || current.size > 0) return
        listeners.delete(channel)
        redis.unsubscribe(channel).catch(() => {})
      }
    },
    async close() {
      listeners.clear()
      await redis.quit().catch(() => redis.disconnect())
    },
  }
}
