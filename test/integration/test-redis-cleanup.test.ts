import { randomBytes } from 'node:crypto'
import { Redis } from 'ioredis'
import { afterAll, describe, expect, it } from 'vitest'
import { deleteQueueKeys } from '../helpers/redis-keys.js'
import { TEST_REDIS_URL } from '../helpers/test-env.js'

// The test harness's own cleanup: a run leaves no keys of its queue prefixes behind in the shared
// Redis, and touches nothing else (another run's prefix may start with the same characters).

describe('deleting a run’s queue keys', () => {
  const redis = new Redis(TEST_REDIS_URL)
  afterAll(() => redis.disconnect())

  it('deletes every key under <prefix>: and nothing else, however many', async () => {
    const prefix = `wptest-cleanup-${randomBytes(4).toString('hex')}`
    const mine = Array.from({ length: 2_500 }, (_, i) => `${prefix}:uploads:${i}`)
    const others = [`${prefix}x:uploads:1`, `${prefix}`, `other-${prefix}:uploads:1`]
    for (let i = 0; i < mine.length; i += 500) await redis.mset(...mine.slice(i, i + 500).flatMap((k) => [k, '1']))
    await redis.mset(...others.flatMap((k) => [k, '1']))
    try {
      await deleteQueueKeys(TEST_REDIS_URL, prefix)
      expect(await redis.exists(...mine)).toBe(0)
      expect(await redis.exists(...others)).toBe(others.length)
    } finally {
      await redis.del(...mine, ...others)
    }
  })

  it('takes a prefix with glob characters literally', async () => {
    const prefix = `wptest-cleanup-[a*]-${randomBytes(4).toString('hex')}`
    const lookalike = prefix.replace('[a*]', 'a')
    await redis.mset(`${prefix}:k`, '1', `${lookalike}:k`, '1')
    try {
      await deleteQueueKeys(TEST_REDIS_URL, prefix)
      expect(await redis.exists(`${prefix}:k`, `${lookalike}:k`)).toBe(1)
      expect(await redis.exists(`${lookalike}:k`)).toBe(1)
    } finally {
      await redis.del(`${prefix}:k`, `${lookalike}:k`)
    }
  })
})
