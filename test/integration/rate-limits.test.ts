import { randomBytes } from 'node:crypto'
import { Redis } from 'ioredis'
import pg from 'pg'
import { pino } from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createPrisma } from '../../src/db/prisma.js'
import { createRedisRateLimiter } from '../../src/rate-limit/redis-rate-limiter.js'
import { createApiKey } from '../../src/store/api-keys.js'
import { createTestTenant } from '../helpers/tenant.js'
import { TEST_REDIS_URL } from '../helpers/test-env.js'
import { startTestService, type TestService } from '../helpers/test-service.js'

/**
 * Rate limits backed by Redis: per API key (and for the operator credential) on /graphql and
 * /v1/uploads, per client address for requests without a valid key, a clear RATE_LIMITED answer
 * with Retry-After, atomic under concurrency, and failing open when Redis is gone.
 */

const OPERATOR_TOKEN = 'operator-'.padEnd(40, 'x')
const RATE_LIMITED_MESSAGE = (per: number, who: string) => new RegExp(`^rate limit exceeded: at most ${per} requests per minute ${who}; retry in \\d+ s$`)

describe('rate limits over HTTP', () => {
  let svc: TestService
  let db: pg.Pool
  let redis: Redis
  let tenantId: string
  const keys: { id: string; key: string }[] = []

  /** POST /graphql from a given client address (the service trusts X-Forwarded-For from loopback here). */
  const gql = (auth: string | null, address: string, query = '{ rules { id } }') =>
    fetch(`${svc.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': address, ...(auth ? { authorization: `Bearer ${auth}` } : {}) },
      body: JSON.stringify({ query }),
    })
  const uploadsStored = async () => Number((await db.query<{ n: string }>('SELECT count(*) AS n FROM uploads')).rows[0]!.n)

  beforeAll(async () => {
    svc = await startTestService({
      worker: false,
      env: { RATE_LIMIT_PER_MINUTE: '3', RATE_LIMIT_UNAUTHENTICATED_PER_MINUTE: '2', TRUST_PROXY: 'loopback', OPERATOR_TOKEN },
    })
    db = new pg.Pool({ connectionString: svc.databaseUrl, max: 2 })
    redis = new Redis(TEST_REDIS_URL)
    const created = await createTestTenant(svc.databaseUrl, 'limited')
    tenantId = created.tenant.id
    const prisma = createPrisma(db)
    // Keys made in the database, so that making them spends no request budget.
    for (let i = 0; i < 3; i++) keys.push(await createApiKey(prisma, { tenantId, name: `key ${i}`, role: 'admin' }))
  })
  afterAll(async () => {
    redis?.disconnect()
    await db?.end()
    await svc?.close()
  })

  it('answers the request after a key’s budget with 429, Retry-After and RATE_LIMITED naming the limit; other keys are unaffected', async () => {
    const [a, b] = keys
    for (let i = 0; i < 3; i++) expect((await gql(a!.key, '198.51.100.1')).status).toBe(200)
    const refused = await gql(a!.key, '198.51.100.1')
    expect(refused.status).toBe(429)
    const retryAfter = Number(refused.headers.get('retry-after'))
    expect(retryAfter).toBeGreaterThanOrEqual(1)
    expect(retryAfter).toBeLessThanOrEqual(20) // one request every 20 s at 3 per minute
    const body = (await refused.json()) as { errors: { message: string; extensions: Record<string, unknown> }[] }
    expect(body.errors).toHaveLength(1)
    expect(body.errors[0]!.message).toMatch(RATE_LIMITED_MESSAGE(3, 'for this API key'))
    expect(body.errors[0]!.extensions).toEqual({ code: 'RATE_LIMITED', limitPerMinute: 3, retryAfterSeconds: retryAfter })
    // Another key of the same tenant, and the same key from elsewhere, are counted apart / together.
    expect((await gql(b!.key, '198.51.100.1')).status).toBe(200)
    expect((await gql(a!.key, '198.51.100.99')).status).toBe(429)
    // The budget lives in Redis under the deployment's prefix, expiring on its own.
    const ttl = await redis.pttl(`${svc.queuePrefix}:ratelimit:key:${a!.id}`)
    expect(ttl).toBeGreaterThan(0)
    expect(ttl).toBeLessThanOrEqual(60_000)
  })

  it('shares the key’s budget with /v1/uploads, refusing uploads (REST and multipart) before their body is stored', async () => {
    const a = keys[0]!
    const before = await uploadsStored()
    const rest = await fetch(`${svc.url}/v1/uploads?fileName=x.xml`, { method: 'POST', headers: { authorization: `Bearer ${a.key}` }, body: Buffer.alloc(100_000, 0x41) })
    expect(rest.status).toBe(429)
    expect(Number(rest.headers.get('retry-after'))).toBeGreaterThanOrEqual(1)
    const body = (await rest.json()) as { error: Record<string, unknown> }
    expect(body.error).toMatchObject({ code: 'RATE_LIMITED', limitPerMinute: 3 })
    expect(body.error.message).toMatch(RATE_LIMITED_MESSAGE(3, 'for this API key'))
    const form = new FormData()
    form.set('operations', JSON.stringify({ query: 'mutation ($file: Upload!) { uploadLogs(file: $file) { id } }', variables: { file: null } }))
    form.set('map', JSON.stringify({ 0: ['variables.file'] }))
    form.set('0', new Blob([Buffer.alloc(100_000, 0x41)]), 'x.xml')
    const multipart = await fetch(`${svc.url}/graphql`, { method: 'POST', headers: { authorization: `Bearer ${a.key}`, 'apollo-require-preflight': 'true' }, body: form })
    expect(multipart.status).toBe(429)
    expect(((await multipart.json()) as { errors: { extensions: { code: string } }[] }).errors[0]!.extensions.code).toBe('RATE_LIMITED')
    expect(await uploadsStored()).toBe(before)
    expect((await fetch(`${svc.url}/healthz`)).status).toBe(200) // health checks are never limited
  })

  it('limits requests without a key per client address (IPv6 per /64)', async () => {
    for (let i = 0; i < 2; i++) {
      const res = await gql(null, '198.51.100.2')
      expect(res.status).toBe(200)
      expect(((await res.json()) as { errors: { extensions: { code: string } }[] }).errors[0]!.extensions.code).toBe('UNAUTHENTICATED')
    }
    const refused = await gql(null, '198.51.100.2')
    expect(refused.status).toBe(429)
    expect(((await refused.json()) as { errors: { message: string }[] }).errors[0]!.message).toMatch(RATE_LIMITED_MESSAGE(2, 'from this address without a valid API key'))
    expect((await gql(null, '198.51.100.3')).status).toBe(200)
    expect((await gql(null, '2001:db8:1:2::1')).status).toBe(200)
    expect((await gql(null, '2001:db8:1:2:ffff::2')).status).toBe(200)
    expect((await gql(null, '2001:db8:1:2::3')).status).toBe(429)
    expect((await gql(null, '2001:db8:1:3::1')).status).toBe(200)
  })

  it('slows key guessing: failed keys spend the address’s budget, after which it may not present keys at all', async () => {
    const guesses = ['wp_0123456789_' + 'x'.repeat(32), 'not-even-a-key']
    for (const guess of guesses) {
      const res = await gql(guess, '198.51.100.4')
      expect(((await res.json()) as { errors: { extensions: { code: string } }[] }).errors[0]!.extensions.code).toBe('UNAUTHENTICATED')
    }
    const third = await gql('wp_9876543210_' + 'y'.repeat(32), '198.51.100.4')
    expect(third.status).toBe(429)
    // Even a right key is not looked at from that address now (a lucky guess would be)…
    const valid = keys[2]!.key
    const lucky = await gql(valid, '198.51.100.4')
    expect(lucky.status).toBe(429)
    expect(((await lucky.json()) as { errors: { message: string }[] }).errors[0]!.message).toMatch(RATE_LIMITED_MESSAGE(2, 'from this address without a valid API key'))
    // …while the same key works from any other address, its own budget untouched.
    expect((await gql(valid, '198.51.100.5')).status).toBe(200)
  })

  it('gives the operator credential its own budget', async () => {
    const query = '{ tenants { id } }'
    for (let i = 0; i < 3; i++) expect((await gql(OPERATOR_TOKEN, '198.51.100.6', query)).status).toBe(200)
    const refused = await gql(OPERATOR_TOKEN, '198.51.100.6', query)
    expect(refused.status).toBe(429)
    expect(((await refused.json()) as { errors: { message: string }[] }).errors[0]!.message).toMatch(RATE_LIMITED_MESSAGE(3, 'for the operator credential'))
  })
})

describe('the Redis limiter itself', () => {
  const log = pino({ level: 'silent' })
  const limiter = createRedisRateLimiter({ redisUrl: TEST_REDIS_URL, prefix: `wptest-rl-${randomBytes(4).toString('hex')}`, log })
  afterAll(() => limiter.close())

  it('is atomic: of 60 concurrent requests against a budget of 20, exactly 20 pass', async () => {
    const decisions = await Promise.all(Array.from({ length: 60 }, () => limiter.take('concurrent', 20)))
    expect(decisions.filter((d) => d.allowed)).toHaveLength(20)
  })

  it('refills one request every 60 000 / perMinute ms, and refused or looked-at requests spend nothing', async () => {
    const burst = await Promise.all(Array.from({ length: 60 }, () => limiter.take('refill', 60)))
    expect(burst.every((d) => d.allowed)).toBe(true)
    const refused = await limiter.take('refill', 60)
    if (refused.allowed) throw new Error('the 61st request of a 60-per-minute budget passed')
    expect(refused.retryAfterMs).toBeLessThanOrEqual(1_000)
    for (let i = 0; i < 5; i++) expect((await limiter.wouldAllow('refill', 60)).allowed).toBe(false)
    await new Promise((r) => setTimeout(r, refused.retryAfterMs + 50))
    expect((await limiter.wouldAllow('refill', 60)).allowed).toBe(true)
    expect((await limiter.take('refill', 60)).allowed).toBe(true)
    expect((await limiter.take('refill', 60)).allowed).toBe(false)
  })

  it('fails open when Redis is unreachable: every request passes at once, and a warning says so', async () => {
    const lines: string[] = []
    const captured = pino({ level: 'warn' }, { write: (line: string) => void lines.push(line) })
    const unreachable = createRedisRateLimiter({ redisUrl: 'redis://127.0.0.1:1', prefix: 'wptest-unreachable', log: captured })
    try {
      const started = Date.now()
      for (let i = 0; i < 5; i++) expect(await unreachable.take('anyone', 1)).toEqual({ allowed: true })
      expect(Date.now() - started).toBeLessThan(1_000)
      expect(lines.some((l) => l.includes('rate limiter: Redis unavailable, requests are not rate-limited until it is back'))).toBe(true)
      expect(lines.length).toBeLessThanOrEqual(2) // warned once, not once per request
    } finally {
      await unreachable.close()
    }
  })
})
