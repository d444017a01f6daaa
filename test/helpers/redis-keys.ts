import { Redis } from 'ioredis'

/**
 * Deletes every key under `<prefix>:` — the BullMQ queues and schedules of one test file's or one
 * benchmark's own QUEUE_PREFIX — so that runs do not pile their keys up in a Redis that outlives
 * them (a developer's, or CI's). Best effort: a Redis that is gone by then (a test of Redis
 * failures) is left alone, with a line on stderr.
 */
export async function deleteQueueKeys(redisUrl: string, prefix: string): Promise<void> {
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => null })
  redis.on('error', () => {})
  try {
    await redis.connect()
    let cursor = '0'
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix.replace(/[*?[\]\\]/g, '\\$&')}:*`, 'COUNT', 1000)
      cursor = next
      if (keys.length > 0) await redis.unlink(...keys)
    } while (cursor !== '0')
  } catch (err) {
    process.stderr.write(`queue keys under ${prefix}: not deleted (${(err as Error).message})\n`)
  } finally {
    redis.disconnect()
  }
}
