import net from 'node:net'
import pg from 'pg'
import { pino } from 'pino'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { loadConfig } from '../../src/config.js'
import { READY_CHECK_TIMEOUT_MS } from '../../src/http/health-route.js'
import { startService, type RunningService } from '../../src/service.js'
import { deleteQueueKeys } from '../helpers/redis-keys.js'
import { recordFigures } from '../helpers/reliability-bed.js'
import { createTestDatabase } from '../helpers/test-database.js'
import { TEST_REDIS_URL } from '../helpers/test-env.js'

/**
 * /healthz and /readyz as an orchestrator probes them, with each dependency broken in the ways
 * it breaks at night: refused, silent (accepts the connection, never answers), a database dropped
 * under a running API, a migration not applied. Liveness stays 200 throughout (a Postgres or
 * Redis outage must not get every API process restarted); readiness says which dependency is
 * down, and always answers within its bound.
 */

const silent = pino({ level: 'silent' })
const QUEUE_PREFIX = `wptest-health-${process.pid}`

/** A port on loopback where nothing listens. */
async function closedPort(): Promise<number> {
  const server = net.createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as net.AddressInfo
  await new Promise((resolve) => server.close(resolve))
  return port
}

/** A server that accepts connections and never says a word (a hung dependency, a black-holed route). */
async function silentServer(): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>()
  const server = net.createServer((s) => {
    sockets.add(s)
    s.on('error', () => {})
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    port: (server.address() as net.AddressInfo).port,
    async close() {
      for (const s of sockets) s.destroy()
      await new Promise((resolve) => server.close(resolve))
    },
  }
}

async function probe(url: string, path: '/healthz' | '/readyz') {
  const started = performance.now()
  const res = await fetch(`${url}${path}`)
  return { status: res.status, body: (await res.json()) as { status: string; checks?: Record<string, string> }, ms: performance.now() - started }
}

describe('/healthz and /readyz', () => {
  const cleanups: (() => Promise<unknown>)[] = []
  /** How long /readyz took to answer in each case, for RELIABILITY.md. */
  const figures: Record<string, number> = {}
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c()
  })
  afterAll(async () => {
    for (const c of cleanups.splice(0).reverse()) await c()
    recordFigures('health', figures)
    await deleteQueueKeys(TEST_REDIS_URL, QUEUE_PREFIX)
  })

  async function api(env: Record<string, string>): Promise<RunningService> {
    const config = loadConfig({ PORT: '0', HOST: '127.0.0.1', QUEUE_PREFIX, NODE_ENV: 'test', REDIS_URL: TEST_REDIS_URL, ...env })
    const service = await startService(config, silent, { api: true, worker: false })
    cleanups.push(() => service.close())
    return service
  }
  async function database() {
    const db = await createTestDatabase()
    cleanups.push(() => db.drop())
    return db
  }

  it('ready when Postgres and Redis answer and every migration is applied', async () => {
    const db = await database()
    const svc = await api({ DATABASE_URL: db.url })
    expect(await probe(svc.url!, '/healthz')).toMatchObject({ status: 200, body: { status: 'ok' } })
    const ready = await probe(svc.url!, '/readyz')
    figures.readyMs = Math.round(ready.ms)
    expect(ready).toMatchObject({ status: 200, body: { status: 'ready', checks: { postgres: 'ok', migrations: 'ok', redis: 'ok' } } })
  })

  it('not ready while a migration this code ships with is not applied, naming it', async () => {
    const db = await database()
    const admin = new pg.Client({ connectionString: db.url })
    await admin.connect()
    const { rows } = await admin.query<{ name: string }>('DELETE FROM "_prisma_migrations" WHERE migration_name = (SELECT max(migration_name) FROM "_prisma_migrations") RETURNING migration_name AS name')
    await admin.end()
    const svc = await api({ DATABASE_URL: db.url })
    const ready = await probe(svc.url!, '/readyz')
    expect(ready).toMatchObject({ status: 503, body: { status: 'not ready', checks: { postgres: 'ok', migrations: `pending: ${rows[0]!.name}`, redis: 'ok' } } })
    expect((await probe(svc.url!, '/healthz')).status).toBe(200)
  })

  it('not ready when Redis refuses connections; alive all the same', async () => {
    const db = await database()
    const svc = await api({ DATABASE_URL: db.url, REDIS_URL: `redis://127.0.0.1:${await closedPort()}` })
    const ready = await probe(svc.url!, '/readyz')
    expect(ready.status).toBe(503)
    expect(ready.body.checks).toMatchObject({ postgres: 'ok', migrations: 'ok', redis: expect.stringMatching(/^unreachable: /) })
    figures.redisRefusedMs = Math.round(ready.ms)
    expect(ready.ms).toBeLessThan(READY_CHECK_TIMEOUT_MS + 1_000)
    expect((await probe(svc.url!, '/healthz')).status).toBe(200)
  })

  it('not ready when Postgres refuses connections, with the reason; alive all the same', async () => {
    const svc = await api({ DATABASE_URL: `postgresql://postgres@127.0.0.1:${await closedPort()}/watchpost` })
    const ready = await probe(svc.url!, '/readyz')
    expect(ready).toMatchObject({ status: 503, body: { checks: { postgres: expect.stringMatching(/^unreachable: .*ECONNREFUSED/), migrations: 'unknown', redis: 'ok' } } })
    expect((await probe(svc.url!, '/healthz')).status).toBe(200)
  })

  it('answers within its bound when Postgres and Redis accept connections but never answer', async () => {
    const hungPostgres = await silentServer()
    const hungRedis = await silentServer()
    const svc = await api({ DATABASE_URL: `postgresql://postgres@127.0.0.1:${hungPostgres.port}/watchpost`, REDIS_URL: `redis://127.0.0.1:${hungRedis.port}` })
    // Cleanups run last to first: the hung connections end before the service closes.
    cleanups.push(() => hungPostgres.close(), () => hungRedis.close())
    const ready = await probe(svc.url!, '/readyz')
    expect(ready).toMatchObject({
      status: 503,
      body: { checks: { postgres: `unreachable: no answer within ${READY_CHECK_TIMEOUT_MS} ms`, migrations: 'unknown', redis: `unreachable: no answer within ${READY_CHECK_TIMEOUT_MS} ms` } },
    })
    expect(ready.ms).toBeLessThan(READY_CHECK_TIMEOUT_MS + 1_000)
    figures.bothSilentMs = Math.round(ready.ms)
    const alive = await probe(svc.url!, '/healthz')
    expect(alive.status).toBe(200)
    expect(alive.ms).toBeLessThan(500)
  })

  it('turns not ready when the database goes away under a running API', async () => {
    const db = await database()
    const svc = await api({ DATABASE_URL: db.url })
    expect((await probe(svc.url!, '/readyz')).status).toBe(200)
    await db.dropUnderConnections()
    const ready = await probe(svc.url!, '/readyz')
    expect(ready.status).toBe(503)
    expect(ready.body.checks!.postgres).toMatch(/^unreachable: .*(does not exist|terminat)/)
    expect((await probe(svc.url!, '/healthz')).status).toBe(200)
  })
})
