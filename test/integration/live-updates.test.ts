import pg from 'pg'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readFixture, SEED_RULE_YAML } from '../helpers/fixtures.js'
import { closeOfConnection, subscribe, subscriptionClient } from '../helpers/subscriptions.js'
import { createTestTenant } from '../helpers/tenant.js'
import { TEST_REDIS_URL } from '../helpers/test-env.js'
import { graphql, startTestService, type TestService } from '../helpers/test-service.js'
import { syntheticLog } from '../load/synthetic-logs.js'

// Live updates end to end: the real service (API and worker, talking through Redis pub/sub as
// separate processes would), real graphql-ws clients over real WebSockets.

const OPERATOR_TOKEN = 'operator-token-for-live-updates-tests-0123456789'
const PROGRESS = `subscription ($id: ID!) { uploadProgress(id: $id) { id status eventCount detectionRows progress { bytesProcessed bytesTotal fraction eventsProcessed startedAt updatedAt bytesPerSecond eventsPerSecond etaSeconds } } }`
const DETECTIONS = 'subscription { detectionCreated { id count status rule { name } fields } }'

async function uploadRaw(url: string, key: string, fileName: string, body: Buffer): Promise<string> {
  const res = await fetch(`${url}/v1/uploads?fileName=${fileName}`, { method: 'POST', headers: { authorization: `Bearer ${key}` }, body })
  expect(res.status).toBe(202)
  return ((await res.json()) as { upload: { id: string } }).upload.id
}

describe('live updates (GraphQL subscriptions)', () => {
  let svc: TestService
  let keyA: string
  let keyB: string
  const clients: { dispose(): Promise<void> | void }[] = []
  const client = (key: string) => {
    const c = subscriptionClient(svc.url, key)
    clients.push(c)
    return c
  }

  beforeAll(async () => {
    svc = await startTestService({ env: { UPLOAD_PROGRESS_INTERVAL_MS: '100', OPERATOR_TOKEN } })
    keyA = (await createTestTenant(svc.databaseUrl, 'live-a')).apiKey
    keyB = (await createTestTenant(svc.databaseUrl, 'live-b')).apiKey
    for (const key of [keyA, keyB]) await graphql(svc.url, key, 'mutation ($y: String!) { importRules(yaml: $y) { rules { id } } }', { y: SEED_RULE_YAML })
  })
  afterAll(async () => {
    for (const c of clients) await c.dispose()
    await svc?.close()
  })

  it('streams the progress of a large upload: several rising reports, then its final state, then completes', async () => {
    const events = 15_000
    const id = await uploadRaw(svc.url, keyA, 'large.xml', syntheticLog({ source: 'sysmon-xml', events, seed: 7, firstId: 1 }))
    const results = await subscribe(client(keyA), PROGRESS, { id }).done
    const states = results.map((r) => r.data!.uploadProgress)
    const running = states.filter((s) => s.status === 'RUNNING')
    expect(running.length, JSON.stringify(states.map((s) => [s.status, s.progress.bytesProcessed]))).toBeGreaterThanOrEqual(3)
    for (let i = 1; i < states.length; i++) {
      expect(states[i].progress.bytesProcessed).toBeGreaterThanOrEqual(states[i - 1].progress.bytesProcessed)
      expect(states[i].progress.eventsProcessed).toBeGreaterThanOrEqual(states[i - 1].progress.eventsProcessed)
    }
    expect(new Set(running.map((s) => s.progress.bytesProcessed)).size).toBeGreaterThanOrEqual(2)
    const reported = running.filter((s) => s.progress.bytesProcessed > 0)
    expect(reported.length).toBeGreaterThan(0)
    for (const s of reported) {
      expect(s.progress.bytesPerSecond).toBeGreaterThan(0)
      expect(s.progress.eventsPerSecond).toBeGreaterThan(0)
      expect(s.progress.etaSeconds).toBeGreaterThanOrEqual(0)
      expect(s.progress.fraction).toBeLessThanOrEqual(1)
      expect(Date.parse(s.progress.updatedAt)).toBeGreaterThanOrEqual(Date.parse(s.progress.startedAt))
    }
    const last = states.at(-1)
    expect(last.status).toBe('SUCCEEDED')
    expect(last.eventCount).toBe(events)
    expect(last.progress).toMatchObject({ fraction: 1, eventsProcessed: events, etaSeconds: 0 })
    expect(last.progress.bytesProcessed).toBe(last.progress.bytesTotal)
    // The same figures over HTTP, once finished.
    const polled = await graphql<any>(svc.url, keyA, 'query ($id: ID!) { upload(id: $id) { progress { eventsProcessed fraction etaSeconds bytesPerSecond } } }', { id })
    expect(polled.data.upload.progress).toMatchObject({ eventsProcessed: events, fraction: 1, etaSeconds: 0 })
    expect(polled.data.upload.progress.bytesPerSecond).toBeGreaterThan(0)
  })

  it('gives a subscriber that joins after the end the final state at once, then completes', async () => {
    const id = await uploadRaw(svc.url, keyA, 'ngrok.xml', readFixture('logs/sysmon/ngrok-synthetic.xml'))
    await subscribe(client(keyA), PROGRESS, { id }).done
    const late = await subscribe(client(keyA), PROGRESS, { id }).done
    expect(late).toHaveLength(1)
    expect(late[0]!.data!.uploadProgress).toMatchObject({ id, status: 'SUCCEEDED_WITH_ERRORS', eventCount: 39 })
  })

  it('announces new detections to their own tenant only, and none for an upload that creates none', async () => {
    const a = subscribe(client(keyA), DETECTIONS)
    const b = subscribe(client(keyB), DETECTIONS)
    // Both subscriptions are live once a status change reaches them; give the subscribe a moment.
    await new Promise((r) => setTimeout(r, 300))
    const bytes = readFixture('logs/sysmon/ngrok-synthetic.xml')
    const upload = await uploadRaw(svc.url, keyB, 'b.xml', bytes)
    const bReceived = await b.received(4)
    // What B received is exactly what B's database says was created by that upload.
    const stored = await graphql<any>(svc.url, keyB, '{ detections { totalCount edges { node { id } } } }')
    expect(bReceived.map((r) => r.data!.detectionCreated.id).sort()).toEqual(stored.data.detections.edges.map((e: any) => e.node.id).sort())
    expect(bReceived[0]!.data!.detectionCreated).toMatchObject({ status: 'NEW', rule: { name: 'Windows Ngrok Reverse Proxy Usage' } })
    expect(upload).toBeTruthy()
    // Tenant A's subscriber got none of B's detections.
    await new Promise((r) => setTimeout(r, 500))
    expect(a.results).toEqual([])
    // A new upload of the same events to B creates no new detection: nothing more is announced.
    await subscribe(client(keyB), PROGRESS, { id: await uploadRaw(svc.url, keyB, 'b-again.xml', bytes) }).done
    await new Promise((r) => setTimeout(r, 300))
    expect(b.results).toHaveLength(4)
    a.stop()
    b.stop()
  })

  it('never announces a detection suppressed into an earlier one', async () => {
    const keyC = (await createTestTenant(svc.databaseUrl, 'live-c')).apiKey
    const rule = (await graphql<any>(svc.url, keyC, 'mutation ($y: String!) { importRules(yaml: $y) { rules { id } } }', { y: SEED_RULE_YAML })).data.importRules.rules[0].id
    // Every detection of the fixture has action=allowed: the first suppresses the three others.
    const set = await graphql<any>(svc.url, keyC, 'mutation ($id: ID!) { setRuleAlerting(id: $id, input: { suppressBy: ["action"], suppressWindow: "30d" }) { id } }', { id: rule })
    expect(set.errors).toBeUndefined()
    const c = subscribe(client(keyC), DETECTIONS)
    await new Promise((r) => setTimeout(r, 300))
    const id = await uploadRaw(svc.url, keyC, 'c.xml', readFixture('logs/sysmon/ngrok-synthetic.xml'))
    await subscribe(client(keyC), PROGRESS, { id }).done
    await c.received(1)
    await new Promise((r) => setTimeout(r, 500))
    const all = await graphql<any>(svc.url, keyC, '{ detections(filter: { includeSuppressed: true }) { totalCount } unsuppressed: detections { edges { node { id } } } }')
    expect(all.data.detections.totalCount).toBe(4)
    expect(c.results.map((r) => r.data!.detectionCreated.id)).toEqual(all.data.unsuppressed.edges.map((e: any) => e.node.id))
    c.stop()
  })

  it('lets ingest keys follow uploads but not detections', async () => {
    const created = await graphql<any>(svc.url, keyA, 'mutation { createApiKey(name: "ingest", role: ingest) { key } }')
    const ingest = created.data.createApiKey.key
    const id = await uploadRaw(svc.url, ingest, 'i.xml', readFixture('logs/sysmon/ngrok-synthetic.xml'))
    const progress = await subscribe(client(ingest), PROGRESS, { id }).done
    expect(progress.at(-1)!.data!.uploadProgress.status).toBe('SUCCEEDED_WITH_ERRORS')
    const refused = subscribe(client(ingest), DETECTIONS)
    await expect(refused.done).rejects.toThrow(/FORBIDDEN/)
  })

  it("answers NOT_FOUND for another tenant's upload, exactly as for one that exists nowhere", async () => {
    const id = await uploadRaw(svc.url, keyA, 'mine.xml', readFixture('logs/sysmon/ngrok-synthetic.xml'))
    const other = subscribe(client(keyB), PROGRESS, { id })
    const nowhere = subscribe(client(keyB), PROGRESS, { id: '00000000-0000-4000-8000-000000000002' })
    const errorOf = async (s: { done: Promise<unknown> }) => (await s.done.then(() => 'completed', (e: Error) => e.message)).replaceAll(id, '<id>').replaceAll('00000000-0000-4000-8000-000000000002', '<id>')
    const [onOther, onNowhere] = await Promise.all([errorOf(other), errorOf(nowhere)])
    expect(onOther).toMatch(/NOT_FOUND/)
    expect(onOther).toBe(onNowhere)
  })

  it('refuses connections without a valid tenant key, clearly', async () => {
    const none = await closeOfConnection(svc.url, {})
    expect(none).toMatchObject({ acknowledged: false, code: 4401 })
    expect(none.reason).toMatch(/API key is required.*connectionParams/)
    const bad = await closeOfConnection(svc.url, { payload: { authorization: 'Bearer wp_0123456789_not-a-real-secret-not-a-real-secret' } })
    expect(bad).toMatchObject({ acknowledged: false, code: 4401 })
    expect(bad.reason).toMatch(/invalid or expired API key/)
    const badHeader = await closeOfConnection(svc.url, { headers: { authorization: 'Bearer nonsense' } })
    expect(badHeader).toMatchObject({ acknowledged: false, code: 4401 })
    const operator = await closeOfConnection(svc.url, { payload: { authorization: `Bearer ${OPERATOR_TOKEN}` } })
    expect(operator).toMatchObject({ acknowledged: false, code: 4403 })
    expect(await closeOfConnection(svc.url, { payload: { authorization: `Bearer ${keyA}` } })).toMatchObject({ acknowledged: true })
    expect(await closeOfConnection(svc.url, { headers: { authorization: `Bearer ${keyA}` } })).toMatchObject({ acknowledged: true })
  })

  it('serves only subscriptions over WebSocket, and subscriptions only there', async () => {
    const query = subscribe(client(keyA), '{ uploads { edges { node { id } } } }')
    await expect(query.done).rejects.toThrow(/BAD_REQUEST.*POST \/graphql|only subscriptions/)
    const overHttp = await graphql(svc.url, keyA, DETECTIONS)
    expect(overHttp.errors?.[0]?.extensions?.code).toBe('BAD_REQUEST')
    expect(overHttp.errors?.[0]?.message).toMatch(/WebSocket/)
    const invalid = subscribe(client(keyA), 'subscription { detectionCreated { nope } }')
    await expect(invalid.done).rejects.toThrow(/GRAPHQL_VALIDATION_FAILED/)
  })

  it('catches up from Postgres when its Redis connection comes back (messages sent meanwhile are lost)', async () => {
    const id = await uploadRaw(svc.url, keyA, 'resync.xml', readFixture('logs/sysmon/ngrok-synthetic.xml'))
    await subscribe(client(keyA), PROGRESS, { id }).done
    // Make the finished upload look queued, subscribe, then change it behind the workers' back
    // while the hub's Redis connection is down: only the resync can tell the subscriber.
    const db = new pg.Pool({ connectionString: svc.databaseUrl, max: 1 })
    const redis = new Redis(TEST_REDIS_URL)
    try {
      await db.query(`UPDATE uploads SET status = 'QUEUED' WHERE id = $1`, [id])
      const s = subscribe(client(keyA), PROGRESS, { id })
      await s.received(1)
      expect(s.results[0]!.data!.uploadProgress.status).toBe('QUEUED')
      const hubs = (await redis.client('LIST') as string).split('\n').filter((l) => l.includes(`name=${svc.queuePrefix}:live-hub`))
      expect(hubs).toHaveLength(1)
      await redis.client('KILL', 'ID', /\bid=(\d+)/.exec(hubs[0]!)![1]!)
      await db.query(`UPDATE uploads SET status = 'SUCCEEDED_WITH_ERRORS' WHERE id = $1`, [id])
      const started = Date.now()
      const results = await s.done
      expect(results.at(-1)!.data!.uploadProgress.status).toBe('SUCCEEDED_WITH_ERRORS')
      // Well before the 10 s recheck: the reconnection did it.
      expect(Date.now() - started).toBeLessThan(8_000)
    } finally {
      await db.end()
      redis.disconnect()
    }
  })

  it('closes open subscriptions when the service shuts down', async () => {
    const s = subscribe(client(keyA), DETECTIONS)
    await new Promise((r) => setTimeout(r, 300))
    const closing = svc.close()
    const started = Date.now()
    await expect(s.done).rejects.toThrow(/1001|shutting down/)
    await closing
    expect(Date.now() - started).toBeLessThan(10_000)
    svc = undefined as unknown as TestService
  })
})
