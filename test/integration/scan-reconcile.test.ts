import { Queue } from 'bullmq'
import type pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createPool } from '../../src/db/pool.js'
import { withTenantScope } from '../../src/db/db-scope.js'
import { reconcileOnce } from '../../src/queue/reconciler.js'
import { redisConnection } from '../../src/queue/queues.js'
import { SCAN_QUEUE, schedulerIdOf, type ScanJob } from '../../src/queue/scan-queue.js'
import { scanSchedulers, unfinishedScans } from '../../src/queue/unfinished-scans.js'
import { createScan } from '../../src/store/scans.js'
import { readFixture, SEED_RULE_YAML } from '../helpers/fixtures.js'
import { createTestTenant } from '../helpers/tenant.js'
import { TEST_REDIS_URL } from '../helpers/test-env.js'
import { graphql, startTestService, waitFor, type TestService } from '../helpers/test-service.js'
import { uploadMultipart, waitForUpload } from '../helpers/uploads.js'

// Scans and scan schedules are Postgres' truth too: when Redis loses their jobs and job
// schedulers, the reconciler (src/queue/reconciler.ts) gives them back and the scans finish.

describe('the reconciler and scans', () => {
  let svc: TestService
  let key: string
  let tenantId: string
  let ruleId: string
  let uploadId: string
  let appPool: pg.Pool
  let queue: Queue<ScanJob>

  beforeAll(async () => {
    svc = await startTestService()
    const t = await createTestTenant(svc.databaseUrl, 'reconciled-scans')
    key = t.apiKey
    tenantId = t.tenant.id
    const imported = await graphql<{ importRules: { rules: { id: string }[] } }>(svc.url, key, 'mutation ($y: String!) { importRules(yaml: $y) { rules { id } } }', { y: SEED_RULE_YAML })
    ruleId = imported.data!.importRules.rules[0]!.id
    const sent = await uploadMultipart(svc.url, key, 'ngrok.xml', readFixture('logs/sysmon/ngrok-synthetic.xml'))
    uploadId = (await waitForUpload(svc.url, key, sent.data!.uploadLogs.id)).id as string
    appPool = createPool(svc.databaseUrl, { appRole: 'watchpost_app' })
    queue = new Queue<ScanJob>(SCAN_QUEUE, { connection: redisConnection(TEST_REDIS_URL), prefix: svc.queuePrefix })
  }, 60_000)
  afterAll(async () => {
    await queue?.close()
    await appPool?.end()
    await svc?.close()
  })

  const status = async (scanId: string) => (await graphql<{ scan: { status: string; attempts: number } }>(svc.url, key, 'query ($id: ID!) { scan(id: $id) { status attempts } }', { id: scanId })).data!.scan

  it('re-enqueues queued and running scans whose jobs Redis lost, and they finish', async () => {
    // Recorded in Postgres, as runScan and rescanUpload do, but their jobs never reached Redis (or Redis lost them).
    const queued = await withTenantScope(tenantId, () => createScan(appPool, { tenantId, kind: 'RESCAN', uploadId, ruleIds: [ruleId] }))
    const running = await withTenantScope(tenantId, () => createScan(appPool, { tenantId, kind: 'MANUAL', windowFrom: new Date('2026-01-01T00:00:00Z'), windowTo: new Date('2026-12-01T00:00:00Z'), ruleIds: [ruleId] }))
    await withTenantScope(tenantId, () => appPool.query("UPDATE scans SET status = 'RUNNING', attempts = 1 WHERE id = $1", [running.id]))
    const pass = await reconcileOnce([unfinishedScans(appPool, queue)], [])
    expect(pass.work).toEqual([{ kind: 'scan', unfinished: 2, enqueued: 2, rerun: 0, failuresRecorded: 0 }])
    for (const id of [queued.id, running.id]) await waitFor(async () => ((await status(id)).status === 'SUCCEEDED' ? true : undefined), 30_000, `scan ${id}`)
    expect((await status(running.id)).attempts).toBe(2)
    // Nothing left to do: a second pass enqueues nothing.
    expect((await reconcileOnce([unfinishedScans(appPool, queue)], [])).work).toEqual([{ kind: 'scan', unfinished: 0, enqueued: 0, rerun: 0, failuresRecorded: 0 }])
  })

  it('registers the job schedulers of unpaused schedules again when Redis lost them, and leaves paused ones out', async () => {
    const created = await graphql<{ a: { id: string }; b: { id: string } }>(
      svc.url,
      key,
      'mutation { a: createScanSchedule(input: { name: "kept", cron: "15 * * * *" }) { id } b: createScanSchedule(input: { name: "paused", cron: "45 * * * *" }) { id } }',
    )
    const { a, b } = created.data!
    await graphql(svc.url, key, 'mutation ($id: ID!) { pauseScanSchedule(id: $id) { id } }', { id: b.id })
    await queue.removeJobScheduler(schedulerIdOf(a.id))
    expect(await queue.getJobScheduler(schedulerIdOf(a.id))).toBeUndefined()
    const pass = await reconcileOnce([], [scanSchedulers(appPool, queue)])
    expect(pass.schedulesRestored).toEqual(['scan schedules'])
    expect((await queue.getJobScheduler(schedulerIdOf(a.id)))?.pattern).toBe('15 * * * *')
    expect(await queue.getJobScheduler(schedulerIdOf(b.id))).toBeUndefined()
    expect((await reconcileOnce([], [scanSchedulers(appPool, queue)])).schedulesRestored).toEqual([])
  })
})
