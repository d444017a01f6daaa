import { randomBytes } from 'node:crypto'
import { pino, type Logger } from 'pino'
import { loadConfig } from '../../src/config.js'
import { startService, type RunningService } from '../../src/service.js'
import { createTestDatabase } from './test-database.js'
import { deleteQueueKeys } from './redis-keys.js'
import { TEST_REDIS_URL } from './test-env.js'

/**
 * The real Watchpost (HTTP API + BullMQ worker) on an ephemeral port, over this file's own
 * database and its own queue prefix in the local Redis. Nothing is mocked.
 */
export interface TestService {
  url: string
  databaseUrl: string
  queuePrefix: string
  service: RunningService
  close(): Promise<void>
}

export async function startTestService(opts: { worker?: boolean; env?: Record<string, string>; log?: Logger } = {}): Promise<TestService> {
  const db = await createTestDatabase()
  const queuePrefix = `wptest-${randomBytes(4).toString('hex')}`
  // Rate limits are off unless a test sets them: every test file talks from 127.0.0.1, often
  // without a key on purpose, and polls uploads; test/integration/rate-limits.test.ts turns them on.
  const config = loadConfig({
    DATABASE_URL: db.url,
    REDIS_URL: TEST_REDIS_URL,
    PORT: '0',
    HOST: '127.0.0.1',
    QUEUE_PREFIX: queuePrefix,
    NODE_ENV: 'test',
    RATE_LIMIT_PER_MINUTE: '0',
    RATE_LIMIT_UNAUTHENTICATED_PER_MINUTE: '0',
    ...opts.env,
  })
  const service = await startService(config, opts.log ?? pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }), { api: true, worker: opts.worker ?? true })
  return {
    url: service.url!,
    databaseUrl: db.url,
    queuePrefix,
    service,
    async close() {
      await service.close()
      await db.drop()
      await deleteQueueKeys(config.redisUrl, queuePrefix)
    },
  }
}

export interface GraphQLResponse<T = Record<string, unknown>> {
  data?: T | null
  errors?: { message: string; extensions?: { code?: string } & Record<string, unknown>; path?: (string | number)[] }[]
}

/** POSTs one GraphQL operation over real HTTP. */
export async function graphql<T = Record<string, unknown>>(url: string, apiKey: string | null, query: string, variables?: Record<string, unknown>): Promise<GraphQLResponse<T>> {
  const res = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(apiKey ? { authorization: `Bearer ${apiKey}` } : {}) },
    body: JSON.stringify({ query, variables }),
  })
  return (await res.json()) as GraphQLResponse<T>
}

/** Polls until `check` returns a value (not undefined), or fails after `timeoutMs`. */
export async function waitFor<T>(check: () => Promise<T | undefined>, timeoutMs = 30_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await check()
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}
