import { Router } from 'express'
import type { AppDeps } from '../graphql/context.js'
import { loadMigrations, pendingMigrations, type Migration } from '../db/migrate.js'

/**
 * /healthz: the process answers (liveness: it never looks at Postgres or Redis, so an outage of
 * theirs does not get every API process restarted). /readyz: Postgres and Redis answer and no
 * migration this code ships with is pending (readiness), each check bounded in time, because a
 * lost Redis is retried forever and a pool connect waits forever for an unreachable Postgres.
 */

/** Longest a /readyz check may take; its answer is then "unreachable". */
export const READY_CHECK_TIMEOUT_MS = 2_000

export function healthRouter(deps: AppDeps): Router {
  const router = Router()
  // The migrations on disk do not change while the process runs: read them once.
  let shipped: Promise<Migration[]> | null = null
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' })
  })
  router.get('/readyz', async (_req, res) => {
    shipped ??= loadMigrations()
    const [database, redis] = await Promise.all([databaseChecks(deps, shipped), redisCheck(deps)])
    const checks = { ...database, redis }
    const ready = Object.values(checks).every((v) => v === 'ok')
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'not ready', checks })
  })
  return router
}

async function databaseChecks(deps: AppDeps, shipped: Promise<Migration[]>): Promise<{ postgres: string; migrations: string }> {
  try {
    const pending = await withTimeout(pendingOnce(deps, shipped), READY_CHECK_TIMEOUT_MS)
    return { postgres: 'ok', migrations: pending.length === 0 ? 'ok' : `pending: ${pending.join(', ')}` }
  } catch (err) {
    return { postgres: `unreachable: ${(err as Error).message}`, migrations: 'unknown' }
  }
}

async function pendingOnce(deps: AppDeps, shipped: Promise<Migration[]>): Promise<string[]> {
  const client = await deps.pool.connect()
  try {
    return await pendingMigrations(client, await shipped)
  } finally {
    client.release()
  }
}

async function redisCheck(deps: AppDeps): Promise<string> {
  try {
    // A queue read is a Redis round trip.
    await withTimeout(deps.uploadQueue.getJobCounts('waiting'), READY_CHECK_TIMEOUT_MS)
    return 'ok'
  } catch (err) {
    return `unreachable: ${(err as Error).message}`
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms)
  })
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}
