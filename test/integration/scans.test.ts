import { Queue } from 'bullmq'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SCAN_QUEUE, SCHEDULED_SCAN, schedulerIdOf } from '../../src/queue/scan-queue.js'
import { redisConnection } from '../../src/queue/queues.js'
import { readFixture, SEED_RULE_YAML } from '../helpers/fixtures.js'
import { createTestTenant } from '../helpers/tenant.js'
import { TEST_REDIS_URL } from '../helpers/test-env.js'
import { graphql, startTestService, waitFor, type TestService } from '../helpers/test-service.js'
import { uploadMultipart, waitForUpload } from '../helpers/uploads.js'

// Scans over stored events, end to end over the real API, Postgres, Redis and the scan worker.
// The reference for every count is ingest itself: a tenant that had the rule before uploading.

const SYSMON = readFixture('logs/sysmon/ngrok-synthetic.xml')
const CROWDSTRIKE = readFixture('logs/crowdstrike/ngrok-synthetic.ndjson')
const DETECTIONS = `{ detections(first: 100) { totalCount edges { node { fields count firstTime lastTime ruleRevision
  riskEvents { object type score message } } } } }`
const SCAN_FIELDS = `id kind status windowFrom windowTo backfilled backfilledFrom eventsExamined detectionsWritten uploadsScanned attempts failureReason
  rules { ruleId escuId name revision uploads detections error }`
const WHOLE = { from: '2000-01-01T00:00:00Z', to: '2100-01-01T00:00:00Z' }

type Detections = { detections: { totalCount: number; edges: { node: { fields: Record<string, string>; count: number; firstTime: string; lastTime: string; riskEvents: unknown[] } }[] } }
type Scan = { id: string; kind: string; status: string; attempts: number; backfilled: boolean; backfilledFrom: string | null; windowFrom: string | null; eventsExamined: number; detectionsWritten: number; uploadsScanned: number; rules: { revision: number; uploads: number; error: string | null }[] }

const sorted = (d: Detections) =>
  d.detections.edges.map((e) => ({ ...e.node, ruleRevision: undefined })).sort((a, b) => JSON.stringify(a.fields).localeCompare(JSON.stringify(b.fields)))

describe('scans over stored events', () => {
  let svc: TestService
  let owner: pg.Client
  let reference: ReturnType<typeof sorted>
  let key: string
  let ruleId: string
  let uploadId: string

  const gql = <T,>(query: string, variables?: Record<string, unknown>) => graphql<T>(svc.url, key, query, variables)
  async function importSeed(apiKey: string, yaml = SEED_RULE_YAML): Promise<string> {
    const res = await graphql<{ importRules: { rules: { id: string }[] } }>(svc.url, apiKey, 'mutation ($y: String!) { importRules(yaml: $y) { rules { id } errors { message } } }', { y: yaml })
    return res.data!.importRules.rules[0]!.id as string
  }
  async function upload(apiKey: string, name: string, bytes: Buffer) {
    const sent = await uploadMultipart(svc.url, apiKey, name, bytes)
    return waitForUpload(svc.url, apiKey, sent.data!.uploadLogs.id)
  }
  async function finished(scanId: string): Promise<Scan> {
    return waitFor(async () => {
      const res = await gql<{ scan: Scan }>(`query ($id: ID!) { scan(id: $id) { ${SCAN_FIELDS} } }`, { id: scanId })
      return res.data?.scan.status === 'SUCCEEDED' || res.data?.scan.status === 'FAILED' ? res.data.scan : undefined
    }, 30_000, `scan ${scanId}`)
  }
  async function runScan(vars: Record<string, unknown>): Promise<Scan> {
    const res = await gql<{ runScan: Scan }>(`mutation ($rules: [ID!], $from: DateTime!, $to: DateTime!) { runScan(rules: $rules, from: $from, to: $to) { ${SCAN_FIELDS} } }`, vars)
    expect(res.errors).toBeUndefined()
    return finished(res.data!.runScan.id)
  }
  const riskEventRows = async () => (await owner.query('SELECT count(*)::int AS n FROM risk_events')).rows[0].n as number

  beforeAll(async () => {
    svc = await startTestService()
    owner = new pg.Client({ connectionString: svc.databaseUrl })
    await owner.connect()
    // The reference: ingest with the rule in place.
    const ref = (await createTestTenant(svc.databaseUrl, 'scan-reference')).apiKey
    await importSeed(ref)
    await upload(ref, 'ngrok.xml', SYSMON)
    await upload(ref, 'ngrok.ndjson', CROWDSTRIKE)
    reference = sorted((await graphql<Detections>(svc.url, ref, DETECTIONS)).data!)
    expect(reference.length).toBeGreaterThan(3)
    // The tenant under test uploads first and gets the rule afterwards.
    key = (await createTestTenant(svc.databaseUrl, 'scan-tenant')).apiKey
    uploadId = (await upload(key, "ngrok.xml", SYSMON)).id as string
    await upload(key, 'ngrok.ndjson', CROWDSTRIKE)
    ruleId = await importSeed(key)
  }, 120_000)
  afterAll(async () => {
    await owner?.end()
    await svc?.close()
  })

  it('finds nothing for a rule imported after the upload until a scan, which writes what ingest would have', async () => {
    expect((await gql<Detections>(DETECTIONS)).data!.detections.totalCount).toBe(0)
    const scan = await runScan({ ...WHOLE })
    expect(scan).toMatchObject({ kind: 'MANUAL', status: 'SUCCEEDED', uploadsScanned: 2, backfilled: false })
    const stored = (await owner.query("SELECT count(*)::int AS n FROM process_events e JOIN tenants t ON t.id = e.tenant_id WHERE t.name = 'scan-tenant'")).rows[0].n
    expect(scan.eventsExamined).toBe(stored)
    expect(scan.rules).toEqual([expect.objectContaining({ ruleId, revision: 1, uploads: 2, error: null })])
    expect(scan.detectionsWritten).toBe(reference.length)
    expect(sorted((await gql<Detections>(DETECTIONS)).data!)).toEqual(reference)
  })

  it('changes nothing when the same window, an overlapping one or a sub-window is scanned again', async () => {
    const before = sorted((await gql<Detections>(DETECTIONS)).data!)
    const risk = await riskEventRows()
    for (const window of [WHOLE, { from: '2026-03-01T00:00:00Z', to: '2100-06-01T00:00:00Z' }, { from: '2026-03-10T00:00:00Z', to: '2026-03-20T00:00:00Z' }]) {
      const scan = await runScan(window)
      expect(scan.status).toBe('SUCCEEDED')
      // Already evaluated over the window at this revision: not read again.
      expect(scan.uploadsScanned).toBe(0)
    }
    expect(sorted((await gql<Detections>(DETECTIONS)).data!)).toEqual(before)
    expect(await riskEventRows()).toBe(risk)
  })

  it('recomputes rather than adds when an upload is rescanned (twice) and when a scan job runs again', async () => {
    const before = sorted((await gql<Detections>(DETECTIONS)).data!)
    const risk = await riskEventRows()
    for (let i = 0; i < 2; i++) {
      const res = await gql<{ rescanUpload: Scan }>(`mutation ($u: ID!) { rescanUpload(uploadId: $u) { ${SCAN_FIELDS} } }`, { u: uploadId })
      const scan = await finished(res.data!.rescanUpload.id)
      expect(scan).toMatchObject({ kind: 'RESCAN', status: 'SUCCEEDED', uploadsScanned: 1 })
    }
    expect(sorted((await gql<Detections>(DETECTIONS)).data!)).toEqual(before)
    expect(await riskEventRows()).toBe(risk)
    // A retried job: the scan's record back to RUNNING (as after a worker died) and its job again.
    const { rows } = await owner.query("SELECT id FROM scans WHERE kind = 'RESCAN' ORDER BY created_at LIMIT 1")
    await owner.query("UPDATE scans SET status = 'RUNNING' WHERE id = $1", [rows[0].id])
    const queue = new Queue(SCAN_QUEUE, { connection: redisConnection(TEST_REDIS_URL), prefix: svc.queuePrefix })
    await queue.add('run-scan', { scanId: rows[0].id, tenantId: (await owner.query("SELECT id FROM tenants WHERE name = 'scan-tenant'")).rows[0].id }, { jobId: `retry-${rows[0].id}` })
    const again = await finished(rows[0].id)
    expect(again.attempts).toBe(2)
    await queue.close()
    expect(sorted((await gql<Detections>(DETECTIONS)).data!)).toEqual(before)
    expect(await riskEventRows()).toBe(risk)
  })

  it('counts events uploaded twice once: no inflated count, no second risk event', async () => {
    const before = sorted((await gql<Detections>(DETECTIONS)).data!)
    const risk = await riskEventRows()
    const again = await upload(key, 'ngrok-again.xml', SYSMON)
    const res = await gql<{ upload: { duplicateEvents: number; processEvents: number; detectionRows: number } }>(`query ($id: ID!) { upload(id: $id) { duplicateEvents processEvents detectionRows } }`, { id: again.id })
    expect(res.data!.upload.duplicateEvents).toBe(res.data!.upload.processEvents)
    expect(res.data!.upload.detectionRows).toBe(0)
    expect(sorted((await gql<Detections>(DETECTIONS)).data!)).toEqual(before)
    expect(await riskEventRows()).toBe(risk)
  })

  it('counts the events in any window from per-hour counts exactly as counting them one by one, also after a retention purge', async () => {
    const { countEventsIn, recountAfterPurge } = await import('../../src/store/event-hours.js')
    const tenantId = (await owner.query("SELECT id FROM tenants WHERE name = 'scan-tenant'")).rows[0].id as string
    const uploads = (await owner.query('SELECT id FROM uploads WHERE tenant_id = $1', [tenantId])).rows.map((r) => r.id as string)
    const { rows: span } = await owner.query('SELECT min(time) AS f, max(time) AS l FROM process_events WHERE tenant_id = $1', [tenantId])
    const f = (span[0].f as Date).getTime() - 3_000_000
    const l = (span[0].l as Date).getTime() + 3_000_000
    const direct = async (from: number, to: number) =>
      Number((await owner.query('SELECT count(*) AS n FROM process_events WHERE tenant_id = $1 AND time >= $2 AND time < $3', [tenantId, new Date(from), new Date(to)])).rows[0].n)
    const byHours = (from: number, to: number) => countEventsIn(owner, tenantId, new Map(uploads.map((u) => [u, [{ from, to }]])))
    const cuts = Array.from({ length: 12 }, (_, i) => f + ((l - f) * i) / 11 + (i % 3) * 777_777)
    for (let i = 0; i < cuts.length; i++) {
      for (let j = i + 1; j < cuts.length; j += 3) expect(await byHours(cuts[i]!, cuts[j]!), `${i}..${j}`).toBe(await direct(cuts[i]!, cuts[j]!))
    }
    expect(await byHours(-Infinity, Infinity)).toBe(await direct(f, l))
    // The retention sweep deletes events before a cutoff inside an hour, then recounts.
    const cutoff = new Date(cuts[5]!)
    await owner.query('BEGIN')
    await owner.query('DELETE FROM process_events WHERE tenant_id = $1 AND time < $2', [tenantId, cutoff])
    await recountAfterPurge(owner, tenantId, cutoff)
    expect(await byHours(-Infinity, Infinity)).toBe(await direct(f, l))
    expect(await byHours(cuts[2]!, cuts[8]!)).toBe(await direct(cuts[2]!, cuts[8]!))
    await owner.query('ROLLBACK')
  })

  it('re-evaluates with the new revision after the rule changes, and rejects unknown rules and bad windows', async () => {
    // Revision 2 matches only `tcp` command lines: a rescan must shrink the detections to those.
    const narrowed = SEED_RULE_YAML.replace('Processes.process IN ("*start*", "*--config*","*http*","*authtoken*", "*http*", "*tcp*")', 'Processes.process IN ("*tcp*")')
    expect(narrowed).not.toBe(SEED_RULE_YAML)
    await importSeed(key, narrowed)
    const scan = await runScan({ ...WHOLE })
    // Three uploads, but the third only repeated events of the first: it stored none, so it is not read.
    expect(scan.rules[0]).toMatchObject({ revision: 2, uploads: 2 })
    const after = sorted((await gql<Detections>(DETECTIONS)).data!)
    expect(after.length).toBeGreaterThan(0)
    expect(after.length).toBeLessThan(reference.length)
    const stillMatching = (await owner.query(
      "SELECT count(*)::int AS n FROM process_events e JOIN tenants t ON t.id = e.tenant_id WHERE t.name = 'scan-tenant' AND lower(process_name) = 'ngrok.exe' AND lower(process) LIKE '%tcp%'",
    )).rows[0].n
    expect(after.reduce((n, d) => n + d.count, 0)).toBe(stillMatching)
    const unknown = await gql(`mutation { runScan(rules: ["00000000-0000-4000-8000-000000000009"], from: "2026-01-01T00:00:00Z", to: "2026-02-01T00:00:00Z") { id } }`)
    expect(unknown.errors?.[0]).toMatchObject({ extensions: { code: 'NOT_FOUND' } })
    expect(unknown.errors?.[0]?.message).toContain('00000000-0000-4000-8000-000000000009')
    const backwards = await gql(`mutation { runScan(from: "2026-02-01T00:00:00Z", to: "2026-01-01T00:00:00Z") { id } }`)
    expect(backwards.errors?.[0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT' } })
    await importSeed(key) // back to the full rule (revision 3) for the next tests
    await runScan({ ...WHOLE })
    expect(sorted((await gql<Detections>(DETECTIONS)).data!)).toEqual(reference)
  })
})

describe('scan schedules', () => {
  let svc: TestService
  let key: string
  let owner: pg.Client
  let queue: Queue
  const gql = <T,>(query: string, variables?: Record<string, unknown>) => graphql<T>(svc.url, key, query, variables)
  const SCHEDULE_FIELDS = 'id name cron timeZone windowStart windowEnd paused nextRunAt lastRunAt coveredUntil rules { all ruleIds tags }'

  beforeAll(async () => {
    svc = await startTestService()
    owner = new pg.Client({ connectionString: svc.databaseUrl })
    await owner.connect()
    queue = new Queue(SCAN_QUEUE, { connection: redisConnection(TEST_REDIS_URL), prefix: svc.queuePrefix })
    key = (await createTestTenant(svc.databaseUrl, 'schedule-tenant')).apiKey
    await graphql(svc.url, key, 'mutation ($y: String!) { importRules(yaml: $y) { errors { message } } }', { y: SEED_RULE_YAML })
    const sent = await uploadMultipart(svc.url, key, 'ngrok.xml', SYSMON)
    await waitForUpload(svc.url, key, sent.data!.uploadLogs.id)
  }, 60_000)
  afterAll(async () => {
    await queue?.close()
    await owner?.end()
    await svc?.close()
  })

  it('creates a schedule with ESCU defaults as a BullMQ job scheduler, pauses, resumes and deletes it', async () => {
    const created = await gql<{ createScanSchedule: { id: string; nextRunAt: string; windowStart: string; windowEnd: string; timeZone: string; rules: { all: boolean } } }>(
      `mutation { createScanSchedule(input: { name: "hourly", cron: "30 * * * *", timeZone: "Asia/Kolkata" }) { ${SCHEDULE_FIELDS} } }`,
    )
    expect(created.errors).toBeUndefined()
    const s = created.data!.createScanSchedule
    expect(s).toMatchObject({ windowStart: '-70m', windowEnd: '-10m', timeZone: 'Asia/Kolkata', rules: { all: true } })
    // :30 in Kolkata (UTC+5:30) is :00 UTC: the time zone is applied.
    expect(new Date(s.nextRunAt).getUTCMinutes()).toBe(0)
    expect(new Date(s.nextRunAt).getTime()).toBeGreaterThan(Date.now())
    expect((await queue.getJobScheduler(schedulerIdOf(s.id)))?.pattern).toBe('30 * * * *')
    const paused = await gql<{ pauseScanSchedule: { paused: boolean; nextRunAt: string | null } }>(`mutation ($id: ID!) { pauseScanSchedule(id: $id) { paused nextRunAt } }`, { id: s.id })
    expect(paused.data!.pauseScanSchedule).toEqual({ paused: true, nextRunAt: null })
    expect(await queue.getJobScheduler(schedulerIdOf(s.id))).toBeUndefined()
    await gql(`mutation ($id: ID!) { resumeScanSchedule(id: $id) { id } }`, { id: s.id })
    expect(await queue.getJobScheduler(schedulerIdOf(s.id))).toBeDefined()
    const listed = await gql<{ scanSchedules: { name: string }[] }>('{ scanSchedules { name } }')
    expect(listed.data!.scanSchedules.map((x) => x.name)).toEqual(['hourly'])
    expect((await gql<{ deleteScanSchedule: boolean }>(`mutation ($id: ID!) { deleteScanSchedule(id: $id) }`, { id: s.id })).data!.deleteScanSchedule).toBe(true)
    expect(await queue.getJobScheduler(schedulerIdOf(s.id))).toBeUndefined()
  })

  it('rejects a bad cron expression, time zone, window or duplicate name, naming the field', async () => {
    const cases: [string, string][] = [
      ['cron: "every hour"', 'cron'],
      ['cron: "0 * * * *", timeZone: "Mars/Olympus"', 'timeZone'],
      ['cron: "0 * * * *", windowStart: "-10m", windowEnd: "-70m"', 'windowStart'],
      ['cron: "0 * * * *", windowEnd: "+5m"', 'windowEnd'],
    ]
    for (const [input, field] of cases) {
      const res = await gql(`mutation { createScanSchedule(input: { name: "bad", ${input} }) { id } }`)
      expect(res.errors?.[0]?.extensions, input).toMatchObject({ code: 'BAD_USER_INPUT', field })
    }
    await gql('mutation { createScanSchedule(input: { name: "twice", cron: "0 * * * *" }) { id } }')
    const dup = await gql('mutation { createScanSchedule(input: { name: "twice", cron: "0 * * * *" }) { id } }')
    expect(dup.errors?.[0]?.extensions?.code).toBe('CONFLICT')
  })

  it('runs a schedule’s job, backfilling missed runs and reporting it, and the next run continues where it ended', async () => {
    const created = await gql<{ createScanSchedule: { id: string } }>('mutation { createScanSchedule(input: { name: "backfill", cron: "0 * * * *" }) { id } }')
    const id = created.data!.createScanSchedule.id
    const tenantId = (await owner.query("SELECT id FROM tenants WHERE name = 'schedule-tenant'")).rows[0].id
    // Workers were down since before the fixture's events (March 2026): the last run ended then.
    await owner.query("UPDATE scan_schedules SET covered_until = '2026-03-01T00:00:00Z' WHERE id = $1", [id])
    // The rule is new to the upload's events only if it changed: a new revision makes the run evaluate them.
    await owner.query("UPDATE rule_coverage SET rule_revision = 0")
    await queue.add(SCHEDULED_SCAN, { scheduleId: id, tenantId }, { jobId: 'run-1' })
    const first = await waitFor(async () => {
      const res = await gql<{ scans: { edges: { node: Scan }[] } }>(`query ($id: ID!) { scans(filter: { scheduleId: $id }) { edges { node { ${SCAN_FIELDS} } } } }`, { id })
      const node = res.data?.scans.edges[0]?.node
      return node?.status === 'SUCCEEDED' ? node : undefined
    }, 30_000, 'the scheduled scan')
    expect(first).toMatchObject({ kind: 'SCHEDULED', backfilled: true, windowFrom: '2026-03-01T00:00:00.000Z', uploadsScanned: 1 })
    expect(Date.now() - 70 * 60_000 - new Date(first.backfilledFrom!).getTime()).toBeLessThan(60_000)
    const schedule = await gql<{ scanSchedules: { coveredUntil: string; lastRunAt: string }[] }>('{ scanSchedules { name coveredUntil lastRunAt } }')
    const covered = schedule.data!.scanSchedules.find((s) => (s as unknown as { name: string }).name === 'backfill')!
    expect(Math.abs(new Date(covered.coveredUntil).getTime() - (Date.now() - 10 * 60_000))).toBeLessThan(60_000)
    await queue.add(SCHEDULED_SCAN, { scheduleId: id, tenantId }, { jobId: 'run-2' })
    const second = await waitFor(async () => {
      const res = await gql<{ scans: { edges: { node: Scan }[] } }>(`query ($id: ID!) { scans(filter: { scheduleId: $id }) { edges { node { ${SCAN_FIELDS} } } } }`, { id })
      const nodes = res.data?.scans.edges.map((e) => e.node) ?? []
      return nodes.length === 2 && nodes[0]!.status === 'SUCCEEDED' ? nodes[0] : undefined
    }, 30_000, 'the second scheduled scan')
    // Right after the first: the regular window, no gap to fill.
    expect(second).toMatchObject({ backfilled: false, uploadsScanned: 0 })
  })
})
