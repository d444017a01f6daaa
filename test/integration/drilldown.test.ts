import { gzipSync } from 'node:zlib'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { withTenantScope } from '../../src/db/db-scope.js'
import { createPool } from '../../src/db/pool.js'
import { createPrisma, type PrismaClient } from '../../src/db/prisma.js'
import { NotFoundError } from '../../src/errors.js'
import { csvFields, csvHeader } from '../../src/ingest/csv/csv-fields.js'
import { contributingEvents } from '../../src/store/detection-events.js'
import { readUploadRanges } from '../../src/store/upload-ranges.js'
import { distinctCopies, lineOffset, readFixture, SEED_RULE_YAML } from '../helpers/fixtures.js'
import { createTestTenant } from '../helpers/tenant.js'
import { graphql, startTestService, waitFor, type TestService } from '../helpers/test-service.js'
import { uploadMultipart, waitForUpload } from '../helpers/uploads.js'

// Drilldown over the real API, worker, Postgres and Redis: every detection of the ngrok fixtures
// lists exactly the events it counts (as many as its count, each with its BY values), each with
// its raw text byte for byte as uploaded; risk events list their upload's share; a scan over a
// window lists only the covered events; a changed rule says its events are stale; and the rule's
// drilldown searches come back filled in and answered.

type ProcessEvent = { id: string; time: string; uploadId: string; source: string; line: number; fields: Record<string, string | null>; raw: string | null }
type EventConnection = { totalCount: number; stale: string | null; pageInfo: { hasNextPage: boolean; endCursor: string | null }; edges: { cursor: string; node: ProcessEvent }[] }
type RiskEvent = { id: string; object: string; type: string; time: string }
type Detection = { id: string; count: number; fields: Record<string, string>; firstSeen: string; lastSeen: string; riskEvents: RiskEvent[] }

const EVENT_FIELDS = 'totalCount stale pageInfo { hasNextPage endCursor } edges { cursor node { id time uploadId source line fields raw } }'
const DETECTIONS = '{ detections(first: 100) { totalCount edges { node { id count fields firstSeen lastSeen riskEvents { id object type time } } } } }'

const SYSMON = readFixture('logs/sysmon/ngrok-synthetic.xml')
/** The same events under other record ids: new events with the same BY values (a second contribution). */
const SYSMON_AGAIN = Buffer.from(SYSMON.toString('utf8').replace(/<EventRecordID>(\d+)<\/EventRecordID>/g, (_m, id: string) => `<EventRecordID>${Number(id) + 500_000}</EventRecordID>`))

/** The evtx_dump fixture's objects as one JSON array (as `jq -s` writes it), each element's `{` at the start of its line. */
const EVTX_DUMP_ARRAY = Buffer.from(
  `[\n${readFixture('logs/json/evtx-dump.json')
    .toString('utf8')
    .split(/\n(?=\{)|(?<=^\})(?=\{)/m)
    .map((o) => JSON.stringify(JSON.parse(o), null, 2))
    .join(',\n')}\n]\n`,
)

/** One tenant per file: the same events in two renderings would be stored once per tenant. */
const FORMATS: { name: string; file: string; bytes: Buffer; text: Buffer }[] = [
  ...['sysmon/ngrok-synthetic.xml', 'security-4688/ngrok-synthetic.xml', 'crowdstrike/ngrok-synthetic.ndjson', 'json/winlogbeat-8.ndjson', 'json/winlogbeat-6.ndjson', 'json/nxlog.ndjson', 'json/evtx-dump.json', 'csv/splunk-export.csv', 'csv/crowdstrike-export.csv'].map((file) => {
    const bytes = readFixture(`logs/${file}`)
    return { name: file, file: file.split('/')[1]!, bytes, text: bytes }
  }),
  { name: 'JSON array of evtx_dump objects', file: 'events.json', bytes: EVTX_DUMP_ARRAY, text: EVTX_DUMP_ARRAY },
  { name: 'gzip Sysmon', file: 'ngrok.xml.gz', bytes: gzipSync(SYSMON), text: SYSMON },
  // Over 8 MB, so stored as three chunks: raw text is read from the chunk that holds it.
  ...((big: Buffer) => [{ name: 'multi-chunk Sysmon', file: 'big.xml', bytes: big, text: big }])(distinctCopies(SYSMON, 110)),
]

/**
 * Runs `f` counting how often an upload's stored bytes are read for raw texts (the query that
 * starts each read, src/store/upload-ranges.ts), on the real database: an instrumented pg client.
 */
async function countingUploadReads<T>(f: () => Promise<T>): Promise<{ result: T; count: number }> {
  const original = pg.Client.prototype.query
  let count = 0
  pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
    const text = typeof args[0] === 'string' ? args[0] : (args[0] as { text?: string } | undefined)?.text
    if (text?.includes('SELECT seq, raw_bytes, CASE WHEN seq = 0')) count++
    return (original as (...a: unknown[]) => unknown).apply(this, args)
  } as typeof original
  try {
    return { result: await f(), count }
  } finally {
    pg.Client.prototype.query = original
  }
}

/** The event's text in the uploaded file, starting at its line: its raw must be exactly those bytes, and a whole event. */
function expectRawFromUpload(text: Buffer, e: ProcessEvent): void {
  expect(e.raw, `event ${e.id} (line ${e.line})`).not.toBeNull()
  const raw = Buffer.from(e.raw!, 'utf8')
  const from = lineOffset(text, e.line)
  expect(raw.equals(text.subarray(from, from + raw.length)), `line ${e.line}`).toBe(true)
  const header = csvHeader(text.subarray(0, text.indexOf(10)).toString('utf8').trimEnd())
  // A CSV export's event is its whole record: as many fields as the header names.
  if (header !== null) expect(csvFields(e.raw!)).toHaveLength(header.length)
  else if (e.raw!.startsWith('{')) expect(() => JSON.parse(e.raw!)).not.toThrow()
  else expect(e.raw).toMatch(/^<Event xmlns=[^\n]*<\/Event>$/)
  // One event per line in these files, except the pretty-printed evtx_dump objects.
  if (!e.raw!.includes('\n')) expect(e.raw).toBe(text.subarray(from, text.indexOf(10, from) < 0 ? text.length : text.indexOf(10, from)).toString('utf8').replace(/\r$/, ''))
}

function expectByValues(d: Detection, e: ProcessEvent): void {
  for (const [name, value] of Object.entries(d.fields)) {
    // A "null" BY value (ESCU's fillnull) stands for a missing field, or a real "null".
    if (value === 'null') expect([null, 'null'], `${name} of event ${e.id}`).toContain(e.fields[name])
    else expect(e.fields[name], `${name} of event ${e.id}`).toBe(value)
  }
}

describe('drilldown from detections and risk events to their events', () => {
  let svc: TestService
  const keys = new Map<string, string>()
  let owner: pg.Client

  const gql = async <T,>(key: string, query: string, variables?: Record<string, unknown>): Promise<T> => {
    const res = await graphql<T>(svc.url, key, query, variables)
    expect(res.errors, JSON.stringify(res.errors)).toBeUndefined()
    return res.data!
  }
  const detections = async (key: string): Promise<Detection[]> => (await gql<{ detections: { edges: { node: Detection }[] } }>(key, DETECTIONS)).detections.edges.map((e) => e.node)
  async function importSeed(key: string, yaml = SEED_RULE_YAML): Promise<string> {
    const res = await gql<{ importRules: { rules: { id: string }[]; errors: unknown[] } }>(key, 'mutation ($y: String!) { importRules(yaml: $y) { rules { id } errors { message } } }', { y: yaml })
    expect(res.importRules.errors).toEqual([])
    return res.importRules.rules[0]!.id
  }
  async function upload(key: string, file: string, bytes: Buffer): Promise<string> {
    const sent = await uploadMultipart(svc.url, key, file, bytes)
    expect(sent.errors).toBeUndefined()
    const done = await waitForUpload(svc.url, key, sent.data!.uploadLogs.id)
    expect(done.status).toMatch(/^SUCCEEDED/)
    return done.id as string
  }
  /** One page of a detection's events (the cursor is a position: harmless for the other detections of the query). */
  async function eventPage(key: string, detectionId: string, first: number, after: string | null): Promise<EventConnection> {
    const res = await gql<{ detections: { edges: { node: { id: string; events: EventConnection } }[] } }>(
      key,
      `query ($first: Int, $after: String) { detections(first: 100) { edges { node { id events(first: $first, after: $after) { ${EVENT_FIELDS} } } } } }`,
      { first, after },
    )
    return res.detections.edges.find((e) => e.node.id === detectionId)!.node.events
  }
  async function allEvents(key: string, detectionId: string, first = 200): Promise<{ events: ProcessEvent[]; pages: EventConnection[] }> {
    const pages: EventConnection[] = []
    let after: string | null = null
    do {
      const page: EventConnection = await eventPage(key, detectionId, first, after)
      pages.push(page)
      after = page.pageInfo.hasNextPage ? page.pageInfo.endCursor : null
    } while (after !== null)
    return { events: pages.flatMap((p) => p.edges.map((e) => e.node)), pages }
  }
  async function riskEventEvents(key: string): Promise<Map<string, { totalCount: number; ids: string[] }>> {
    const res = await gql<{ detections: { edges: { node: { riskEvents: { id: string; events: EventConnection }[] } }[] } }>(
      key,
      // Page sizes as variables: the query-cost limit multiplies literal ones, nested, which a test of a few rows need not pay.
      `query ($d: Int, $e: Int) { detections(first: $d) { edges { node { riskEvents { id events(first: $e) { ${EVENT_FIELDS} } } } } } }`,
      { d: 100, e: 200 },
    )
    return new Map(res.detections.edges.flatMap((d) => d.node.riskEvents.map((r) => [r.id, { totalCount: r.events.totalCount, ids: r.events.edges.map((e) => e.node.id) }])))
  }

  beforeAll(async () => {
    svc = await startTestService()
    owner = new pg.Client({ connectionString: svc.databaseUrl })
    await owner.connect()
    for (const f of FORMATS) {
      const key = (await createTestTenant(svc.databaseUrl, `drill-${keys.size}`)).apiKey
      keys.set(f.name, key)
      await importSeed(key)
      await upload(key, f.file, f.bytes)
    }
  }, 300_000)
  afterAll(async () => {
    await owner?.end()
    await svc?.close()
  })

  it.each(FORMATS.map((f) => [f.name, f] as const))('%s: each detection lists exactly the events it counts, with their BY values and raw text as uploaded', async (_name, f) => {
    const key = keys.get(f.name)!
    const found = await detections(key)
    expect(found.length).toBeGreaterThan(0)
    for (const d of found) {
      const { events, pages } = await allEvents(key, d.id)
      expect(pages[0]!.stale).toBeNull()
      expect(pages[0]!.totalCount).toBe(d.count)
      expect(events).toHaveLength(d.count)
      expect(new Set(events.map((e) => e.id)).size).toBe(d.count)
      // Ordered by time, then id; first and last are the detection's own times.
      const order = events.map((e) => [Date.parse(e.time), BigInt(e.id)] as const)
      expect(order.every(([t, id], i) => i === 0 || t > order[i - 1]![0] || (t === order[i - 1]![0] && id > order[i - 1]![1]))).toBe(true)
      expect(events[0]!.time).toBe(d.firstSeen)
      expect(events.at(-1)!.time).toBe(d.lastSeen)
      for (const e of events) {
        expectByValues(d, e)
        expectRawFromUpload(f.text, e)
      }
    }
  })

  it('knows the four Sysmon detections and their counts (the README table)', async () => {
    const counts = (await detections(keys.get('sysmon/ngrok-synthetic.xml')!)).map((d) => d.count).sort()
    expect(counts).toEqual([1, 1, 2, 3])
    const big = (await detections(keys.get('multi-chunk Sysmon')!)).map((d) => d.count).sort((a, b) => a - b)
    expect(big).toEqual([110, 110, 220, 330])
  })

  it('pages one event at a time without repeating or skipping any, and refuses a made-up cursor', async () => {
    const key = keys.get('multi-chunk Sysmon')!
    const d = (await detections(key)).find((x) => x.count === 330)!
    const whole = (await allEvents(key, d.id)).events.map((e) => e.id)
    const byOne = await allEvents(key, d.id, 7)
    expect(byOne.pages.length).toBe(Math.ceil(330 / 7))
    expect(byOne.events.map((e) => e.id)).toEqual(whole)
    expect(byOne.pages.at(-1)!.pageInfo.hasNextPage).toBe(false)
    const bad = await graphql(svc.url, key, '{ detections(first: 1) { edges { node { events(after: "bm90LWEtY3Vyc29y") { totalCount } } } } }')
    expect(bad.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT')
    const tooMany = await graphql(svc.url, key, '{ detections(first: 1) { edges { node { events(first: 201) { totalCount } } } } }')
    expect(tooMany.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT')
  })

  it('sums two uploads into one detection, and each risk event lists its own upload\'s share', async () => {
    const key = keys.get('sysmon/ngrok-synthetic.xml')!
    const secondUpload = await upload(key, 'again.xml', SYSMON_AGAIN)
    const found = await detections(key)
    expect(found.map((d) => d.count).sort()).toEqual([2, 2, 4, 6])
    const shares = await riskEventEvents(key)
    for (const d of found) {
      const { events } = await allEvents(key, d.id)
      expect(events).toHaveLength(d.count)
      expect(new Set(events.map((e) => e.uploadId)).size).toBe(2)
      // One risk event per object and upload; each lists the events of its upload.
      expect(d.riskEvents).toHaveLength(4)
      const uploadOf = new Map(events.map((e) => [e.id, e.uploadId]))
      const listed = new Set<string>()
      for (const r of d.riskEvents) {
        const share = shares.get(r.id)!
        expect(share.totalCount).toBe(d.count / 2)
        expect(share.ids).toHaveLength(d.count / 2)
        expect(new Set(share.ids.map((id) => uploadOf.get(id))).size).toBe(1)
        for (const id of share.ids) listed.add(id)
      }
      expect([...listed].sort()).toEqual([...uploadOf.keys()].sort())
      expect(events.filter((e) => e.uploadId === secondUpload).every((e) => e.raw!.includes('<EventRecordID>5'))).toBe(true)
    }
  })

  it('lists only the events in a scan window, then the rest once another scan covers them', async () => {
    const key = (await createTestTenant(svc.databaseUrl, 'drill-window')).apiKey
    keys.set('window', key)
    await upload(key, 'ngrok.xml', SYSMON)
    const ruleId = await importSeed(key)
    const from = '2026-03-15T22:41:18.000Z'
    const scan = async (window: { from: string; to: string }) => {
      const res = await gql<{ runScan: { id: string } }>(key, 'mutation ($r: [ID!], $f: DateTime!, $t: DateTime!) { runScan(rules: $r, from: $f, to: $t) { id } }', { r: [ruleId], f: window.from, t: window.to })
      await waitFor(async () => {
        const s = await gql<{ scan: { status: string } }>(key, 'query ($id: ID!) { scan(id: $id) { status } }', { id: res.runScan.id })
        return s.scan.status === 'SUCCEEDED' ? true : undefined
      }, 30_000, 'the scan')
    }
    await scan({ from, to: '2026-03-17T00:00:00Z' })
    const windowed = await detections(key)
    // Rows B (two of its three events: 22:41:18 and :19) and C; A and D are before the window.
    expect(windowed.map((d) => [d.fields.user, d.count]).sort()).toEqual([['dave', 2], ['svc_tunnel', 2]])
    for (const d of windowed) {
      const { events, pages } = await allEvents(key, d.id)
      expect(pages[0]!.totalCount).toBe(d.count)
      expect(events).toHaveLength(d.count)
      for (const e of events) expect(Date.parse(e.time)).toBeGreaterThanOrEqual(Date.parse(from))
    }
    await scan({ from: '2026-03-01T00:00:00Z', to: '2026-04-01T00:00:00Z' })
    const whole = await detections(key)
    expect(whole.map((d) => d.count).sort()).toEqual([1, 1, 2, 3])
    for (const d of whole) expect((await allEvents(key, d.id)).events).toHaveLength(d.count)
  })

  it('says the events are stale, and lists none, when an exception or a new revision changed the rule; a rescan recounts', async () => {
    const key = keys.get('window')!
    const rowB = async () => (await detections(key)).find((d) => d.fields.user === 'svc_tunnel')!
    const ruleId = (await gql<{ rules: { id: string }[] }>(key, '{ rules { id } }')).rules[0]!.id
    const created = await gql<{ createRuleException: { id: string } }>(
      key,
      'mutation ($i: RuleExceptionInput!) { createRuleException(input: $i) { id } }',
      { i: { ruleId, entries: [{ field: 'user', operator: 'IS', value: 'svc_tunnel' }], comment: 'the tunnel service account' } },
    )
    const excepted = await eventPage(key, (await rowB()).id, 50, null)
    expect(excepted).toMatchObject({ totalCount: 0, edges: [] })
    expect(excepted.stale).toMatch(/selects 0 events for this detection where it counted 3: its macros or exceptions changed/)
    await gql(key, 'mutation ($id: ID!) { deleteRuleException(id: $id) }', { id: created.createRuleException.id })
    expect((await eventPage(key, (await rowB()).id, 50, null)).stale).toBeNull()

    // A new revision (one more drilldown, an OTHER kind with a token nothing fills).
    const extra = `    - name: Search the host "$dest$"\n      search: 'index=main host="$dest$" $nosuchfield$'\n      earliest_offset: $info_min_time$\n      latest_offset: $info_max_time$\n`
    await importSeed(key, SEED_RULE_YAML.replace('\nrba:\n', () => `\n${extra}rba:\n`))
    const stale = await eventPage(key, (await rowB()).id, 50, null)
    expect(stale).toMatchObject({ totalCount: 0, edges: [] })
    expect(stale.stale).toMatch(/the rule is at revision 2 but this detection was counted at revision 1; rescan/)
    const [up] = (await gql<{ uploads: { edges: { node: { id: string } }[] } }>(key, '{ uploads { edges { node { id } } } }')).uploads.edges
    const rescan = await gql<{ rescanUpload: { id: string } }>(key, 'mutation ($u: ID!) { rescanUpload(uploadId: $u) { id } }', { u: up!.node.id })
    await waitFor(async () => ((await gql<{ scan: { status: string } }>(key, 'query ($id: ID!) { scan(id: $id) { status } }', { id: rescan.rescanUpload.id })).scan.status === 'SUCCEEDED' ? true : undefined), 30_000, 'the rescan')
    const recounted = await eventPage(key, (await rowB()).id, 50, null)
    expect(recounted.stale).toBeNull()
    expect(recounted.totalCount).toBe(3)
  })

  it('fills in the drilldown searches with the detection\'s values and answers ESCU\'s two kinds', async () => {
    const key = keys.get('sysmon/ngrok-synthetic.xml')!
    const res = await gql<{ detections: { edges: { node: Detection & { drilldowns: any[] } }[] } }>(
      key,
      `query ($d: Int, $e: Int) { detections(first: $d) { edges { node { id count fields firstSeen lastSeen riskEvents { id object type time }
         drilldowns { name kind search earliestOffset latestOffset unresolvedTokens note
           answer(first: $e) { __typename ... on ProcessEventConnection { totalCount stale edges { node { id fields } } }
                                ... on RiskEventConnection { totalCount edges { node { id object time } } } } } } } } }`,
      { d: 100, e: 200 },
    )
    const all = res.detections.edges.map((e) => e.node)
    const everyRiskEvent = all.flatMap((d) => d.riskEvents)
    for (const d of all) {
      const { user, dest } = d.fields as { user: string; dest: string }
      const [results, risk] = d.drilldowns
      expect(d.drilldowns).toHaveLength(2)
      const epoch = (iso: string) => String(Date.parse(iso) / 1000)
      expect(results).toMatchObject({
        kind: 'DETECTION_RESULTS',
        name: `View the detection results for - "${user}" and "${dest}"`,
        search: `%original_detection_search% | search  user = "${user}" dest = "${dest}"`,
        earliestOffset: epoch(d.firstSeen),
        latestOffset: epoch(d.lastSeen),
        unresolvedTokens: [],
        note: null,
      })
      expect(results.answer.__typename).toBe('ProcessEventConnection')
      expect(results.answer.totalCount).toBe(d.count)
      expect(results.answer.edges.map((e: { node: ProcessEvent }) => e.node.id).sort()).toEqual((await allEvents(key, d.id)).events.map((e) => e.id).sort())
      expect(risk).toMatchObject({ kind: 'RISK_EVENTS', name: `View risk events for the last 7 days for - "${user}" and "${dest}"`, unresolvedTokens: [], note: null })
      expect(risk.search).toContain(`normalized_risk_object IN ("${user}", "${dest}") starthoursago=168`)
      const last = Date.parse(d.lastSeen)
      const expected = everyRiskEvent
        .filter((r) => [user.toLowerCase(), dest.toLowerCase()].includes(r.object.toLowerCase()) && Date.parse(r.time) <= last && Date.parse(r.time) >= last - 7 * 86_400_000)
        .map((r) => r.id)
      expect(risk.answer.__typename).toBe('RiskEventConnection')
      expect(risk.answer.totalCount).toBe(expected.length)
      expect(risk.answer.edges.map((e: { node: RiskEvent }) => e.node.id).sort()).toEqual(expected.sort())
      expect(expected.length).toBeGreaterThanOrEqual(2)
    }
    // Alice's later detection (row A, 09:12) also sees the risk events of her earlier one (row D, 09:10).
    const [later, earlier] = all.filter((d) => d.fields.user === 'alice').sort((a, b) => Date.parse(b.lastSeen) - Date.parse(a.lastSeen))
    const laterRisk = later!.drilldowns[1].answer.edges.map((e: { node: RiskEvent }) => e.node.id)
    expect(laterRisk).toEqual(expect.arrayContaining(earlier!.riskEvents.map((r) => r.id)))
    expect(earlier!.drilldowns[1].answer.edges.map((e: { node: RiskEvent }) => e.node.id)).not.toEqual(expect.arrayContaining(later!.riskEvents.map((r) => r.id)))
  })

  it('shows a drilldown of another kind filled in, with the tokens it could not fill and no answer', async () => {
    const key = keys.get('window')!
    const res = await gql<{ detections: { edges: { node: { fields: Record<string, string>; drilldowns: any[] } }[] } }>(
      key,
      '{ detections(first: 100) { edges { node { fields drilldowns { name kind search unresolvedTokens note answer { __typename } } } } } }',
    )
    for (const { node } of res.detections.edges) {
      expect(node.drilldowns.map((d) => d.kind)).toEqual(['DETECTION_RESULTS', 'RISK_EVENTS', 'OTHER'])
      expect(node.drilldowns[2]).toEqual({
        name: `Search the host "${node.fields.dest}"`,
        kind: 'OTHER',
        search: `index=main host="${node.fields.dest}" $nosuchfield$`,
        unresolvedTokens: ['$nosuchfield$'],
        note: expect.stringMatching(/not one of ESCU's two drilldown searches/),
        answer: null,
      })
    }
  })

  it('an EVTX upload: each event of a detection shows its binary record rendered as the XML Windows shows, gzip-compressed or not', async () => {
    const evtx = readFixture('logs/security-4688/evtx-to-mitre-attack-rdp-hijack.evtx')
    // Every 4688 of the file, grouped by host and command line.
    const everything = SEED_RULE_YAML.replace('WHERE Processes.process_name=ngrok.exe Processes.process IN ("*start*", "*--config*","*http*","*authtoken*", "*http*", "*tcp*")', 'WHERE Processes.process_name=*')
    expect(everything).not.toBe(SEED_RULE_YAML)
    for (const [name, bytes] of [['rdp.evtx', evtx], ['rdp.evtx.gz', gzipSync(evtx)]] as const) {
      const key = (await createTestTenant(svc.databaseUrl, `drill-evtx-${name}`)).apiKey
      await importSeed(key, everything)
      await upload(key, name, bytes)
      const found = await detections(key)
      expect(found.reduce((n, d) => n + d.count, 0)).toBe(12)
      for (const d of found) {
        for (const e of (await allEvents(key, d.id)).events) {
          expect(e.source).toBe('security-4688')
          expect(e.raw, `event ${e.id}`).toMatch(/^<Event xmlns="http:\/\/schemas\.microsoft\.com\/win\/2004\/08\/events\/event"><System>.*<EventID>4688<\/EventID>.*<\/Event>$/)
          expect(e.raw).toContain(`<Data Name="NewProcessId">${e.fields.process_id}</Data>`)
        }
      }
    }
  })

  it('an archive upload (Sysmon XML, CrowdStrike JSON and an EVTX file; ZIP written into a pipe, gzip-compressed or not, and tar.gz): each event shows its own text from the file it was in', async () => {
    const zip = readFixture('logs/archives/case-42.info-zip-streamed.zip')
    const texts: Record<string, Buffer> = { sysmon: SYSMON, crowdstrike: readFixture('logs/crowdstrike/ngrok-synthetic.ndjson') }
    const everything = SEED_RULE_YAML.replace('WHERE Processes.process_name=ngrok.exe Processes.process IN ("*start*", "*--config*","*http*","*authtoken*", "*http*", "*tcp*")', 'WHERE Processes.process_name=*')
    const tar = readFixture('logs/archives/case-42.pax.tar.gz')
    for (const [name, bytes, format] of [['case-42.zip', zip, 'zip'], ['case-42.zip.gz', gzipSync(zip), 'zip'], ['case-42.tar.gz', tar, 'tar']] as const) {
      const key = (await createTestTenant(svc.databaseUrl, `drill-zip-${name}`)).apiKey
      await importSeed(key, everything)
      const id = await upload(key, name, bytes)
      const [row] = (await owner.query<{ detected_format: string; process_events: number; duplicate_events: number }>('SELECT detected_format, process_events, duplicate_events FROM uploads WHERE id = $1', [id])).rows
      expect(row!.detected_format).toBe(format)
      const found = await detections(key)
      expect(found.reduce((n, d) => n + d.count, 0)).toBe(row!.process_events - row!.duplicate_events)
      const sources = new Map<string, number>()
      // Every detection's events in one query: the raw texts of all of them are read together,
      // the archive once (and once more for the EVTX records' chunks), not once per detection.
      const reads = await countingUploadReads(() =>
        gql<{ detections: { edges: { node: { id: string; events: EventConnection } }[] } }>(key, `query ($d: Int, $e: Int) { detections(first: $d) { edges { node { id events(first: $e) { ${EVENT_FIELDS} } } } } }`, { d: 100, e: 100 }),
      )
      const res = reads.result
      expect(found.length).toBeGreaterThan(10)
      expect(reads.count).toBe(2)
      expect(res.detections.edges).toHaveLength(found.length)
      for (const { node } of res.detections.edges) {
        expect(node.events.pageInfo.hasNextPage).toBe(false)
        for (const { node: e } of node.events.edges) {
          sources.set(e.source, (sources.get(e.source) ?? 0) + 1)
          if (e.source === 'security-4688') {
            expect(e.raw, `event ${e.id}`).toMatch(/^<Event xmlns="http:\/\/schemas\.microsoft\.com\/win\/2004\/08\/events\/event"><System>.*<EventID>4688<\/EventID>.*<\/Event>$/)
            expect(e.raw).toContain(`<Data Name="NewProcessId">${e.fields.process_id}</Data>`)
          } else expectRawFromUpload(texts[e.source]!, e)
        }
      }
      // The three files' process creations, each source read from its own file.
      expect([...sources.keys()].sort()).toEqual(['crowdstrike', 'security-4688', 'sysmon'])
      expect(sources.get('security-4688')).toBe(12)
    }
  })

  it('gives another tenant nothing: no detections, and its scope sees neither the events nor the raw bytes', async () => {
    const other = await createTestTenant(svc.databaseUrl, 'drill-outsider')
    expect((await detections(other.apiKey)).length).toBe(0)
    const victimKey = keys.get('sysmon/ngrok-synthetic.xml')!
    const victim = (await detections(victimKey))[0]!
    const { events } = await allEvents(victimKey, victim.id)
    const appPool = createPool(svc.databaseUrl, { max: 2, appRole: 'watchpost_app' })
    const prisma: PrismaClient = createPrisma(appPool)
    try {
      // Its own tenant id with the victim's detection, and even the victim's tenant id (a
      // forgotten filter): row-level security hides the victim's rows from the outsider's scope.
      const { rows } = await owner.query<{ tenant_id: string }>('SELECT tenant_id FROM detections WHERE id = $1', [victim.id])
      for (const tenantId of [other.tenant.id, rows[0]!.tenant_id]) {
        await expect(withTenantScope(other.tenant.id, () => contributingEvents({ pool: appPool, prisma }, { tenantId, detectionId: victim.id, first: 10 }))).rejects.toBeInstanceOf(NotFoundError)
      }
      const ranges = [{ offset: 0, length: 10 }]
      expect(await withTenantScope(other.tenant.id, () => readUploadRanges(appPool, events[0]!.uploadId, ranges))).toEqual([null])
      expect((await withTenantScope(rows[0]!.tenant_id, () => readUploadRanges(appPool, events[0]!.uploadId, ranges)))[0]?.toString()).toBe('<Event xml')
    } finally {
      await prisma.$disconnect()
      await appPool.end()
    }
  })
})
