import type pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { withSystemScope } from '../../src/db/db-scope.js'
import { createPool } from '../../src/db/pool.js'
import { createTestDatabase } from '../helpers/test-database.js'
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy.js'

// A Postgres restart drops connections at any moment — also while the pool sets a new checkout's
// role and tenant scope (src/db/pool.ts), when no caller listens to the client yet. That query
// must fail; the process must not (an unheard 'error' event would crash the API or the worker,
// and Vitest reports it as an unhandled error of this file).

describe('a pool connection lost while its scope is being set', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>
  let proxy: TcpProxy
  let pool: pg.Pool
  let drops = 0

  beforeAll(async () => {
    db = await createTestDatabase()
    const target = new URL(db.url)
    // Drops the first connection whose client sends the scope statement, before Postgres answers it.
    proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 5432) }, { dropWhen: (bytes) => drops === 0 && bytes.includes("set_config('role'") && ++drops > 0 })
    pool = createPool(proxy.via(db.url), { appRole: 'watchpost_app', max: 2 })
  })
  afterAll(async () => {
    await pool?.end()
    await proxy?.close()
    await db?.drop()
  })

  it('fails the query that needed it, and the next checkout works', async () => {
    await expect(withSystemScope(() => pool.query('SELECT 1'))).rejects.toThrow(/ECONNRESET|terminated|closed/i)
    expect(drops).toBe(1)
    // Long enough for the socket's close to be emitted on the client too.
    await new Promise((r) => setTimeout(r, 200))
    const { rows } = await withSystemScope(() => pool.query<{ role: string }>('SELECT current_user AS role'))
    expect(rows).toEqual([{ role: 'watchpost_app' }])
  })
})
