import { Router } from 'express'
import type { AppDeps } from '../graphql/context.js'
import { loadMigrations, pendingMigrations } from '../db/migrate.js'

/** /healthz: the process answers. /readyz: Postgres and Redis answer and no migration is pending. */
export function healthRouter(deps: AppDeps): Router {
  const router = Router()
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' })
  })
  router.get('/readyz', async (_req, res) => {
    const checks: Record<string, string> = {}
    try {
      const client = await deps.pool.connect()
      try {
        const pending = await pendingMigrations(client, await loadMigrations())
        checks.postgres = 'ok'
        checks.migrations = pending.length === 0 ? 'ok' : `pending: ${pending.join(', ')}`
      } finally {
        client.release()
      }
    } catch (err) {
      checks.postgres = `unreachable: ${(err as Error).message}`
    }
    try {
      // A queue read is a Redis round trip; bounded, because the client retries a lost Redis forever.
      await withTimeout(deps.uploadQueue.getJobCounts('waiting'), 2_000)
      checks.redis = 'ok'
    } catch (err) {
      checks.redis = `unreachable: ${(err as Error).message}`
    }
    const ready = Object.values(checks).every((v) => v === 'ok')
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'not ready', checks })
  })
  return router
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms)
  })
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}
