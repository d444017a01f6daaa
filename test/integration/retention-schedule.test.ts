import { randomUUID } from 'node:crypto'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createMaintenanceQueue, RETENTION_SWEEP } from '../../src/queue/maintenance-queue.js'
import { createTestTenant } from '../helpers/tenant.js'
import { TEST_REDIS_URL } from '../helpers/test-env.js'
import { startTestService, waitFor, type TestService } from '../helpers/test-service.js'

// The retention sweep runs on a BullMQ job scheduler that the worker registers when it starts
// (with the interval of RETENTION_SWEEP_INTERVAL_MS); a process serving only the API registers none.

describe('the scheduled retention sweep', () => {
  let worker: TestService
  let apiOnly: TestService
  let pool: pg.Pool

  beforeAll(async () => {
    worker = await startTestService({ env: { RETENTION_SWEEP_INTERVAL_MS: '1000' } })
    apiOnly = await startTestService({ worker: false })
    pool = new pg.Pool({ connectionString: worker.databaseUrl, max: 2 })
  })
  afterAll(async () => {
    await pool?.end()
    await worker?.close()
    await apiOnly?.close()
  })

  it('is registered by the worker with the configured interval, and not by an API-only process', async () => {
    const queue = createMaintenanceQueue(TEST_REDIS_URL, worker.queuePrefix)
    const other = createMaintenanceQueue(TEST_REDIS_URL, apiOnly.queuePrefix)
    try {
      expect(await queue.getJobScheduler(RETENTION_SWEEP)).toMatchObject({ key: RETENTION_SWEEP, name: RETENTION_SWEEP, every: 1000 })
      expect(await other.getJobScheduler(RETENTION_SWEEP)).toBeUndefined()
    } finally {
      await queue.close()
      await other.close()
    }
  })

  it('purges, at the next interval, events older than a period set meanwhile', async () => {
    const tenant = (await createTestTenant(worker.databaseUrl, 'short-memory')).tenant.id
    const upload = randomUUID()
    const insert = (time: string) =>
      pool.query(`INSERT INTO process_events (tenant_id, upload_id, time, source, event_key, line) VALUES ($1, $2, $3, 'test', $4, 1)`, [tenant, upload, time, time])
    await insert(new Date(Date.now() - 3 * 24 * 3600 * 1000).toISOString())
    await insert(new Date(Date.now() - 3600 * 1000).toISOString())
    await pool.query('UPDATE tenants SET retention_days = 2 WHERE id = $1', [tenant])
    const left = await waitFor(
      async () => {
        const { rows } = await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM process_events WHERE tenant_id = $1', [tenant])
        return rows[0]!.n === 1 ? rows[0]!.n : undefined
      },
      15_000,
      'the sweep to purge the old event',
    )
    expect(left).toBe(1)
  })
})
