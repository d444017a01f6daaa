import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readFixture, SEED_RULE_YAML } from '../helpers/fixtures.js'
import { has, parsePrometheus, scrape, value, type Sample } from '../helpers/prometheus.js'
import { serviceEnv, startServiceProcess, type ServiceProcess } from '../helpers/service-process.js'
import { createTestTenant } from '../helpers/tenant.js'
import { graphql, startTestService, waitFor, type TestService } from '../helpers/test-service.js'
import { waitForUpload } from '../helpers/uploads.js'

/**
 * /metrics as Prometheus scrapes it, over the real service: the counters an upload moves (by
 * exactly what the upload reports), the queue depth per tenant, who may scrape, and the metrics
 * of a worker process of its own through METRICS_PORT.
 */

const OPERATOR_TOKEN = 'operator-token-for-metrics-tests-000000'
const METRICS_TOKEN = 'metrics-token-for-metrics-tests-0000000'
const NGROK = readFixture('logs/sysmon/ngrok-synthetic.xml')

type UploadView = { id: string; sizeBytes: number; status: string; eventCount: number; processEvents: number; errorCount: number; detectionRows: number }

async function upload(url: string, key: string, body: Buffer, fileName = 'ngrok.xml'): Promise<string> {
  const res = await fetch(`${url}/v1/uploads?fileName=${fileName}`, { method: 'POST', headers: { authorization: `Bearer ${key}` }, body })
  expect(res.status).toBe(202)
  return ((await res.json()) as { upload: { id: string } }).upload.id
}

async function uploadView(url: string, key: string, id: string): Promise<UploadView> {
  return ((await (await fetch(`${url}/v1/uploads/${id}`, { headers: { authorization: `Bearer ${key}` } })).json()) as { upload: UploadView }).upload
}

/** What changed between two scrapes, for one sample. */
const delta = (before: Sample[], after: Sample[], name: string, labels: Record<string, string> = {}) => value(after, name, labels) - value(before, name, labels)

describe('metrics of the API and its worker in one process', () => {
  let svc: TestService
  let key: string
  const metricsUrl = () => `${svc.url}/metrics`

  beforeAll(async () => {
    svc = await startTestService({ env: { OPERATOR_TOKEN, METRICS_TOKEN, METRICS_PORT: '0' } })
    key = (await createTestTenant(svc.databaseUrl, 'metrics-acme')).apiKey
  })
  afterAll(async () => {
    await svc?.close()
  })

  it('moves the job, event, byte and detection counters by exactly what the upload reports', async () => {
    const imported = await graphql<{ importRules: { rules: { id: string }[] } }>(svc.url, key, 'mutation ($y: String!) { importRules(yaml: $y) { rules { id } } }', { y: SEED_RULE_YAML })
    expect(imported.data!.importRules.rules).toHaveLength(1)
    const before = await scrape(metricsUrl(), METRICS_TOKEN)
    const id = await upload(svc.url, key, NGROK)
    await waitForUpload(svc.url, key, id)
    const u = await uploadView(svc.url, key, id)
    expect(u).toMatchObject({ status: 'SUCCEEDED_WITH_ERRORS', sizeBytes: NGROK.length })
    expect(u.detectionRows).toBeGreaterThan(0)
    // The job's 'completed' event may follow the upload's commit by a moment.
    const after = await waitFor(async () => {
      const s = await scrape(metricsUrl(), METRICS_TOKEN)
      return delta(before, s, 'watchpost_jobs_finished_total', { queue: 'uploads' }) >= 1 ? s : undefined
    }, 10_000, 'the upload job to be counted')

    expect(delta(before, after, 'watchpost_jobs_started_total', { queue: 'uploads', name: 'process-upload' })).toBe(1)
    expect(delta(before, after, 'watchpost_jobs_finished_total', { queue: 'uploads', name: 'process-upload', outcome: 'completed' })).toBe(1)
    expect(delta(before, after, 'watchpost_jobs_finished_total', { queue: 'uploads', outcome: 'failed' })).toBe(0)
    expect(delta(before, after, 'watchpost_job_duration_seconds_count', { queue: 'uploads', outcome: 'completed' })).toBe(1)
    expect(delta(before, after, 'watchpost_uploads_processed_total', { status: 'SUCCEEDED_WITH_ERRORS' })).toBe(1)
    expect(delta(before, after, 'watchpost_upload_bytes_processed_total')).toBe(u.sizeBytes)
    expect(delta(before, after, 'watchpost_events_processed_total')).toBe(u.eventCount)
    expect(delta(before, after, 'watchpost_process_events_total')).toBe(u.processEvents)
    expect(delta(before, after, 'watchpost_event_errors_total')).toBe(u.errorCount)
    expect(delta(before, after, 'watchpost_detection_rows_written_total', { source: 'upload' })).toBe(u.detectionRows)
    expect(u.eventCount).toBe(39)

    // The HTTP requests of the upload, by declared route (never the path with its id).
    expect(delta(before, after, 'watchpost_http_requests_total', { method: 'POST', route: '/v1/uploads', status: '202' })).toBe(1)
    expect(delta(before, after, 'watchpost_http_requests_total', { method: 'GET', route: '/v1/uploads/:id', status: '200' })).toBe(1)
    expect(after.some((s) => s.labels.route?.includes(id))).toBe(false)
    expect(delta(before, after, 'watchpost_http_request_duration_seconds_count', { method: 'POST', route: '/v1/uploads' })).toBe(1)
    // waitForUpload's polling, as GraphQL operations by root field.
    expect(delta(before, after, 'watchpost_graphql_operations_total', { type: 'query', field: 'upload', outcome: 'OK' })).toBeGreaterThanOrEqual(1)
  })

  it('counts GraphQL operations by root field and outcome, refusals and invalid documents included', async () => {
    const before = await scrape(metricsUrl(), METRICS_TOKEN)
    expect((await graphql(svc.url, key, '{ rules { id } }')).errors).toBeUndefined()
    expect((await graphql(svc.url, key, '{ tenants { name } }')).errors![0]!.extensions!.code).toBe('FORBIDDEN')
    // Documents that do not validate, or do not even parse, are counted with type and field "none".
    expect((await graphql(svc.url, key, '{ noSuchField }')).errors![0]!.extensions!.code).toBe('GRAPHQL_VALIDATION_FAILED')
    expect((await graphql(svc.url, key, '{ rules { id ')).errors).toHaveLength(1)
    const after = await scrape(metricsUrl(), METRICS_TOKEN)
    expect(delta(before, after, 'watchpost_graphql_operations_total', { type: 'query', field: 'rules', outcome: 'OK' })).toBe(1)
    expect(delta(before, after, 'watchpost_graphql_operations_total', { type: 'query', field: 'tenants', outcome: 'FORBIDDEN' })).toBe(1)
    expect(delta(before, after, 'watchpost_graphql_operations_total', { type: 'none', field: 'none', outcome: 'GRAPHQL_VALIDATION_FAILED' })).toBe(1)
    expect(delta(before, after, 'watchpost_graphql_operations_total', { type: 'none', field: 'none', outcome: 'GRAPHQL_PARSE_FAILED' })).toBe(1)
    expect(delta(before, after, 'watchpost_graphql_operations_total')).toBe(4)
    // A field the schema does not have never becomes a label.
    expect(has(after, 'watchpost_graphql_operations_total', { field: 'noSuchField' })).toBe(false)
    expect(delta(before, after, 'watchpost_graphql_operation_duration_seconds_count', { field: 'rules' })).toBe(1)
    // Every request is in the HTTP metrics: a document that does not validate is answered 400.
    expect(delta(before, after, 'watchpost_http_requests_total', { method: 'POST', route: '/graphql' })).toBe(4)
    expect(delta(before, after, 'watchpost_http_requests_total', { method: 'POST', route: '/graphql', status: '200' })).toBe(2)
    expect(delta(before, after, 'watchpost_http_requests_total', { method: 'POST', route: '/graphql', status: '400' })).toBe(2)
  })

  it('exports the process, pool and queue gauges', async () => {
    const s = await scrape(metricsUrl(), METRICS_TOKEN)
    for (const name of ['process_cpu_user_seconds_total', 'process_resident_memory_bytes', 'nodejs_eventloop_lag_seconds', 'nodejs_heap_size_used_bytes']) expect(has(s, name), name).toBe(true)
    expect(value(s, 'watchpost_db_pool_max_connections')).toBe(20)
    expect(has(s, 'watchpost_db_pool_connections', { state: 'idle' })).toBe(true)
    expect(has(s, 'watchpost_db_pool_waiting_checkouts')).toBe(true)
    for (const queue of ['uploads', 'scans', 'maintenance']) {
      expect(has(s, 'watchpost_queue_jobs', { queue, state: 'prioritized' }), queue).toBe(true)
      expect(value(s, 'watchpost_queue_paused', { queue })).toBe(0)
    }
    expect(value(s, 'watchpost_metrics_collect_errors_total')).toBe(0)
  })

  it('answers METRICS_TOKEN and the operator credential only: 401 without or with a wrong one, 403 for a tenant key', async () => {
    const get = (headers: Record<string, string>) => fetch(metricsUrl(), { headers })
    const basic = (password: string) => `Basic ${Buffer.from(`prometheus:${password}`).toString('base64')}`
    for (const auth of [`Bearer ${METRICS_TOKEN}`, `Bearer ${OPERATOR_TOKEN}`, basic(METRICS_TOKEN)]) {
      const res = await get({ authorization: auth })
      expect(res.status, auth).toBe(200)
      expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8')
      expect(await res.text()).toContain('# TYPE watchpost_http_requests_total counter')
    }
    const none = await get({})
    expect(none.status).toBe(401)
    expect(none.headers.get('www-authenticate')).toBe('Bearer realm="watchpost metrics"')
    expect(((await none.json()) as { error: { code: string } }).error.code).toBe('UNAUTHENTICATED')
    const wrong = await get({ authorization: `Bearer ${METRICS_TOKEN}x` })
    expect(wrong.status).toBe(401)
    expect(await wrong.text()).not.toContain('watchpost_')
    const tenant = await get({ authorization: `Bearer ${key}` })
    expect(tenant.status).toBe(403)
    expect(((await tenant.json()) as { error: { code: string } }).error.code).toBe('FORBIDDEN')
    // The metrics token scrapes and does nothing else: it is not the operator.
    expect((await graphql(svc.url, METRICS_TOKEN, '{ tenants { name } }')).errors![0]!.extensions!.code).toBe('UNAUTHENTICATED')
    expect((await fetch(`${svc.url}/admin/queues`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })).status).toBe(401)
  })

  it('serves the same metrics on METRICS_PORT, with the same credentials, and nothing else there', async () => {
    const url = svc.service.metricsUrl!
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/)
    expect(url).not.toContain(new URL(svc.url).port + '/')
    const s = await scrape(url, METRICS_TOKEN)
    expect(value(s, 'watchpost_jobs_finished_total', { queue: 'uploads', outcome: 'completed' })).toBe(1)
    expect((await fetch(url)).status).toBe(401)
    expect((await fetch(url, { headers: { authorization: `Bearer ${key}` } })).status).toBe(403)
    expect((await fetch(url.replace('/metrics', '/graphql'), { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })).status).toBe(404)
    // Liveness of the process (a worker's only HTTP surface), without a credential and without data.
    const live = await fetch(url.replace('/metrics', '/healthz'))
    expect(live.status).toBe(200)
    expect(await live.json()).toEqual({ status: 'ok' })
  })
})

describe('queue depth per tenant, and a worker process scraped on its own port', () => {
  let api: TestService
  let worker: ServiceProcess | null = null
  const keys: Record<string, string> = {}
  const uploads: string[] = []

  beforeAll(async () => {
    // No worker in the API's process: the uploads stay queued until the worker process starts.
    // No credential either: /metrics on the API port is then closed, the METRICS_PORT listener open.
    api = await startTestService({ worker: false, env: { METRICS_PORT: '0', METRICS_AUTH: 'none', METRICS_TENANT_LIMIT: '1' } })
    for (const name of ['depth-busy', 'depth-quiet', 'depth-idle']) keys[name] = (await createTestTenant(api.databaseUrl, name)).apiKey
  })
  afterAll(async () => {
    await worker?.kill()
    await api?.close()
  })

  it('shows the uploads waiting and running per tenant, the busiest named and the rest summed, and the jobs per queue state', async () => {
    for (let i = 0; i < 3; i++) uploads.push(await upload(api.url, keys['depth-busy']!, NGROK, `busy-${i}.xml`))
    uploads.push(await upload(api.url, keys['depth-quiet']!, NGROK, 'quiet.xml'))
    // One of the busy tenant's uploads as a worker holds it (nothing runs here to take it).
    const admin = new pg.Client({ connectionString: api.databaseUrl })
    await admin.connect()
    await admin.query(`UPDATE uploads SET status = 'RUNNING' WHERE id = $1`, [uploads[0]])
    await admin.end()

    const s = await scrape(api.service.metricsUrl!, null)
    expect(value(s, 'watchpost_tenant_uploads', { tenant: 'depth-busy', status: 'queued' })).toBe(2)
    expect(value(s, 'watchpost_tenant_uploads', { tenant: 'depth-busy', status: 'running' })).toBe(1)
    // METRICS_TENANT_LIMIT=1: the other tenants are one series.
    expect(value(s, 'watchpost_tenant_uploads', { tenant: '(other)', status: 'queued' })).toBe(1)
    expect(value(s, 'watchpost_tenant_uploads', { tenant: '(other)', status: 'running' })).toBe(0)
    expect(has(s, 'watchpost_tenant_uploads', { tenant: 'depth-quiet' })).toBe(false)
    expect(has(s, 'watchpost_tenant_uploads', { tenant: 'depth-idle' })).toBe(false)
    // Upload jobs wait in BullMQ's prioritized set (fair queueing).
    expect(value(s, 'watchpost_queue_jobs', { queue: 'uploads', state: 'prioritized' })).toBe(4)
    expect(value(s, 'watchpost_queue_jobs', { queue: 'uploads', state: 'active' })).toBe(0)
    expect(value(s, 'watchpost_oldest_queued_upload_age_seconds')).toBeGreaterThan(0)
  })

  it('keeps /metrics on the API port closed when no credential is configured, whatever METRICS_AUTH says', async () => {
    const res = await fetch(`${api.url}/metrics`)
    expect(res.status).toBe(401)
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/no credential for it is configured/)
  })

  it('lets a worker process be scraped on METRICS_PORT, with the counters of the jobs it ran', async () => {
    const admin = new pg.Client({ connectionString: api.databaseUrl })
    await admin.connect()
    await admin.query(`UPDATE uploads SET status = 'QUEUED' WHERE id = $1`, [uploads[0]])
    await admin.end()
    worker = await startServiceProcess('worker', serviceEnv(api.databaseUrl, api.queuePrefix, { METRICS_PORT: '0', METRICS_TOKEN: 'worker-metrics-token-0000000000000000' }))
    const started = await worker.waitForLog('watchpost started')
    const url = started.metricsUrl as string
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/)
    expect((await fetch(url)).status).toBe(401)
    const final = await waitFor(async () => {
      const s = await scrape(url, 'worker-metrics-token-0000000000000000')
      return value(s, 'watchpost_jobs_finished_total', { queue: 'uploads', outcome: 'completed' }) === 4 ? s : undefined
    }, 60_000, 'the worker process to finish the four uploads')
    expect(value(final, 'watchpost_jobs_started_total', { queue: 'uploads' })).toBe(4)
    expect(value(final, 'watchpost_events_processed_total')).toBe(4 * 39)
    expect(value(final, 'watchpost_upload_bytes_processed_total')).toBe(4 * NGROK.length)
    expect(value(final, 'watchpost_uploads_processed_total', { status: 'SUCCEEDED_WITH_ERRORS' })).toBe(4)
    // A worker serves no HTTP API: no request series, no deployment-wide queue gauges.
    expect(has(final, 'watchpost_http_requests_total')).toBe(false)
    expect(has(final, 'watchpost_queue_jobs')).toBe(false)
    expect(value(final, 'watchpost_db_pool_max_connections')).toBe(10)
    expect(has(final, 'process_cpu_user_seconds_total')).toBe(true)

    // And the API's gauges see the queue drained (once their 5 s cache has expired).
    await waitFor(async () => {
      const s = await scrape(api.service.metricsUrl!, null)
      return value(s, 'watchpost_tenant_uploads') === 0 && value(s, 'watchpost_queue_jobs', { queue: 'uploads', state: 'prioritized' }) === 0 ? true : undefined
    }, 20_000, 'the queue gauges to reach 0')
    const s = parsePrometheus(await (await fetch(api.service.metricsUrl!)).text())
    expect(value(s, 'watchpost_oldest_queued_upload_age_seconds')).toBe(0)
    expect(value(s, 'watchpost_queue_jobs', { queue: 'uploads', state: 'completed' })).toBe(4)
  })
})
