import { Readable } from 'node:stream'
import { buffer } from 'node:stream/consumers'
import { createGzip, gzipSync } from 'node:zlib'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readFixture, SEED_RULE_YAML } from '../helpers/fixtures.js'
import { createTestTenant } from '../helpers/tenant.js'
import { graphql, startTestService, type GraphQLResponse, type TestService } from '../helpers/test-service.js'
import { UPLOAD_FIELDS, waitForUpload } from '../helpers/uploads.js'
import { zipArchive } from '../unit/ingest/helpers/zip-builder.js'

/**
 * Hostile input, end to end over HTTP against real Postgres and Redis. One section per class:
 *
 *   1. SQL injection through rule values (run by the SQL backend), list filters and cursors
 *   2. cursor tampering
 *   3. XML external entities and DOCTYPEs in uploads
 *   4. oversized strings: arguments, rule YAML, nesting, one huge log line
 *   5. invalid UTF-8 in uploads
 *   6. gzip bombs (and ZIP entries that are bombs)
 *   7. NUL characters in text
 *
 * Covered elsewhere, not repeated here: WHERE → SQL parameter binding as text
 * (test/unit/sql-backend/where-to-sql.test.ts), SQL ≡ in-memory matcher on values with quotes and
 * LIKE metacharacters (sql-backend-property.test.ts), parser-level DTD/UTF-16/offset cases
 * (test/unit/ingest/hardening.test.ts), gzip limits in the reader (test/unit/ingest/gzip-limits.test.ts),
 * query-shape limits and malformed JSON bodies (ngrok-end-to-end.test.ts), upload and body size
 * limits (tenant-limits.test.ts), rate limits (rate-limits.test.ts).
 */

type Upload = { id: string; status: string; eventCount: number; processEvents: number; errorCount: number; errors: { line: number; offset: number; message: string }[]; failureReason: string | null }

const EXAMPLE = readFixture('logs/sysmon/escu-example.xml').toString('utf8').trim()
const SYSMON = readFixture('logs/sysmon/ngrok-synthetic.xml')

const xmlText = (s: string): string => s.replaceAll('&', '&amp;').replaceAll('<', '&lt;')

/** The ESCU example Sysmon event (one line) with its own record id, command line and user. */
function sysmonEvent(recordId: number, commandLine: string, user: string): string {
  return EXAMPLE.replace(/<EventRecordID>\d+</, `<EventRecordID>${recordId}<`)
    .replace(/<Data Name='CommandLine'>[^<]*</, `<Data Name='CommandLine'>${xmlText(commandLine)}<`)
    .replace(/<Data Name='User'>[^<]*</, `<Data Name='User'>${xmlText(user)}<`)
}

const DROP = `'; DROP TABLE process_events; --`
/** Command lines (CIM `process`) full of SQL and LIKE metacharacters, and look-alikes a broken escape would also match. */
const HOSTILE_PROCESSES = [
  `cmd.exe /c echo ${DROP}`,
  'copy 50%_off.txt C:\\tmp\\',
  'copy 50xyoff.txt C:\\tmp\\', // what `50%_off` matches if % and _ are wildcards
  "C:\\it's\\quote.exe",
  'C:\\its\\quote.exe', // what `it's` matches if the quote is dropped
  'back\\slash',
  'backslash', // what `back\slash` matches if the backslash is an escape
]

/** The seed rule with another WHERE clause (SPL: `\\` is one backslash, `\"` a quote). */
const draftWith = (where: string): string =>
  SEED_RULE_YAML.replace('WHERE Processes.process_name=ngrok.exe Processes.process IN ("*start*", "*--config*","*http*","*authtoken*", "*http*", "*tcp*")', `WHERE ${where}`)

describe('hostile input', () => {
  let svc: TestService
  let keyA: string
  let keyB: string
  let db: pg.Pool
  let hostileUpload: string
  const gqlA = <T = any>(query: string, variables?: Record<string, unknown>) => graphql<T>(svc.url, keyA, query, variables)
  const gqlB = <T = any>(query: string, variables?: Record<string, unknown>) => graphql<T>(svc.url, keyB, query, variables)

  /** POST /v1/uploads with a raw body; returns the upload once its job has finished. */
  async function upload(key: string, fileName: string, body: Buffer): Promise<Upload> {
    const res = await fetch(`${svc.url}/v1/uploads?fileName=${encodeURIComponent(fileName)}`, { method: 'POST', headers: { authorization: `Bearer ${key}` }, body })
    expect(res.status).toBe(202)
    const { upload: created } = (await res.json()) as { upload: { id: string } }
    return (await waitForUpload(svc.url, key, created.id)) as unknown as Upload
  }

  const tableCounts = async () =>
    (await db.query<{ events: string; uploads: string; rules: string }>('SELECT (SELECT count(*) FROM process_events) AS events, (SELECT count(*) FROM uploads) AS uploads, (SELECT count(*) FROM rules) AS rules')).rows[0]!

  /** Every answer of the service must be a clear one: never a masked internal error. */
  const noInternalError = (res: GraphQLResponse<unknown>) => expect(JSON.stringify(res.errors ?? [])).not.toContain('INTERNAL_SERVER_ERROR')

  beforeAll(async () => {
    svc = await startTestService()
    db = new pg.Pool({ connectionString: svc.databaseUrl, max: 2 })
    keyA = (await createTestTenant(svc.databaseUrl, 'hostile-a')).apiKey
    keyB = (await createTestTenant(svc.databaseUrl, 'hostile-b')).apiKey
    for (const key of [keyA, keyB]) await graphql(svc.url, key, 'mutation ($y: String!) { importRules(yaml: $y) { rules { id } } }', { y: SEED_RULE_YAML })
    const lines = HOSTILE_PROCESSES.map((p, i) => sysmonEvent(9000 + i, p, i === 0 ? "CORP\\O'Brien" : `CORP\\user${i}`))
    const done = await upload(keyA, 'hostile.xml', Buffer.from(lines.join('\n') + '\n'))
    expect(done).toMatchObject({ status: 'SUCCEEDED', processEvents: HOSTILE_PROCESSES.length })
    hostileUpload = done.id
    // Detections for tenant A (and B), so that filters and cursors have rows to guard.
    for (const key of [keyA, keyB]) expect((await upload(key, 'ngrok.xml', SYSMON)).status).toMatch(/^SUCCEEDED/)
  })
  afterAll(async () => {
    await db?.end()
    await svc?.close()
  })

  describe('1. SQL injection', () => {
    /** The `process` values a draft rule detects over the hostile upload, through the SQL backend (previewRule). */
    async function processesMatching(where: string): Promise<string[]> {
      const res = await gqlA('query ($y: String!, $u: ID!) { previewRule(yaml: $y, uploadId: $u) { detections { fields } } }', { y: draftWith(where), u: hostileUpload })
      expect(res.errors).toBeUndefined()
      return res.data.previewRule.detections.map((d: { fields: { process: string } }) => d.fields.process).sort()
    }

    it('rule values with quotes, %, _, \\ and a DROP TABLE match literally, and every table survives', async () => {
      const before = await tableCounts()
      expect(await processesMatching(`Processes.process="*${DROP}*"`)).toEqual([`cmd.exe /c echo ${DROP}`])
      expect(await processesMatching(`Processes.process="cmd.exe /c echo ${DROP}"`)).toEqual([`cmd.exe /c echo ${DROP}`])
      expect(await processesMatching('Processes.process="*50%_off*"')).toEqual(['copy 50%_off.txt C:\\tmp\\'])
      expect(await processesMatching('Processes.process="copy 50%_off.txt C:\\\\tmp\\\\"')).toEqual(['copy 50%_off.txt C:\\tmp\\'])
      expect(await processesMatching(`Processes.process="*it's*"`)).toEqual(["C:\\it's\\quote.exe"])
      expect(await processesMatching('Processes.process="back\\\\slash"')).toEqual(['back\\slash'])
      expect(await processesMatching('Processes.process="*\\\\slash"')).toEqual(['back\\slash'])
      expect(await processesMatching(`Processes.user="O'Brien"`)).toEqual([`cmd.exe /c echo ${DROP}`])
      expect(await processesMatching(`Processes.process IN ("${DROP}", "' OR '1'='1", "*' OR 1=1 --*")`)).toEqual([])
      expect(await tableCounts()).toEqual(before)
    })

    it('list filters: rules(filter:…), detections(filter:…) and riskObjects(filter:…) take hostile strings as plain values', async () => {
      const before = await tableCounts()
      for (const attack of [DROP, "' OR '1'='1", '%', '_', '\\', "x' UNION SELECT id, name FROM tenants --"]) {
        const rules = await gqlA('query ($s: String!) { rules(filter: { search: $s, analyticStory: null, tactic: $s }) { id } }', { s: attack })
        expect(rules).toEqual({ data: { rules: [] } })
        const detections = await gqlA('query ($s: String!, $id: ID!) { detections(filter: { dest: $s, user: $s, ruleId: $id, mitreTechnique: $s }) { totalCount } }', { s: attack, id: attack })
        expect(detections).toEqual({ data: { detections: { totalCount: 0 } } })
        const risk = await gqlA('query ($s: String!, $id: ID!) { riskObjects(filter: { object: $s, type: $s, ruleId: $id }) { object } }', { s: attack, id: attack })
        expect(risk).toEqual({ data: { riskObjects: [] } })
      }
      // The same filters still find real rows: the values were compared, not ignored.
      expect((await gqlA('{ detections(filter: { user: "ALICE" }) { totalCount } }')).data.detections.totalCount).toBeGreaterThan(0)
      expect(await tableCounts()).toEqual(before)
    })

    it('cursors carrying SQL are refused as bad input before any query', async () => {
      const before = await tableCounts()
      for (const sql of [`0|${DROP}`, `0'; DELETE FROM uploads; --|00000000-0000-4000-8000-000000000000`, `1 OR 1=1|00000000-0000-4000-8000-000000000000`]) {
        const after = Buffer.from(sql).toString('base64url')
        for (const res of [await gqlA('query ($a: String) { uploads(after: $a) { edges { cursor } } }', { a: after }), await gqlA('query ($a: String) { detections(after: $a) { totalCount } }', { a: after })]) {
          expect(res.errors?.[0]).toMatchObject({ message: '"after" is not a cursor returned by this API', extensions: { code: 'BAD_USER_INPUT', field: 'after' } })
        }
      }
      expect(await tableCounts()).toEqual(before)
    })
  })

  describe('2. cursor tampering', () => {
    const b64 = (s: string) => Buffer.from(s).toString('base64url')
    const uuid = '00000000-0000-4000-8000-000000000000'
    const TAMPERED = {
      'not base64': '!!!',
      'no separator': b64('1772000000000'),
      'a word for the time': b64(`abc|${uuid}`),
      'NaN': b64(`NaN|${uuid}`),
      'a time beyond any date': b64(`100000000000000000000|${uuid}`),
      'a time just past the last date': b64(`8640000000000001|${uuid}`),
      'a fraction': b64(`1772000000000.5|${uuid}`),
      'exponent notation': b64(`1e12|${uuid}`),
      'not a uuid': b64('1772000000000|not-a-uuid'),
      'a uuid with extra text': b64(`1772000000000|${uuid}x`),
      'invalid UTF-8': Buffer.from([0x31, 0x7c, 0xc3, 0x28]).toString('base64url'),
      'a megabyte of garbage': 'A'.repeat(1024 * 1024),
    }

    it.each(Object.entries(TAMPERED))('refuses a cursor with %s as BAD_USER_INPUT on every list, never a 500', async (_, after) => {
      for (const query of ['query ($a: String) { uploads(after: $a) { edges { cursor } } }', 'query ($a: String) { detections(after: $a) { totalCount } }']) {
        const res = await gqlA(query, { a: after })
        noInternalError(res)
        expect(res.errors?.[0]?.extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'after' })
      }
    })

    it("another tenant's real cursors, or forged well-formed ones, only ever position within the caller's own rows", async () => {
      const ownIds = async (gql: typeof gqlA) => ({
        uploads: (await gql('{ uploads(first: 200) { edges { node { id } } } }')).data.uploads.edges.map((e: any) => e.node.id),
        detections: (await gql('{ detections(first: 200) { edges { node { id } } } }')).data.detections.edges.map((e: any) => e.node.id),
      })
      const a = await ownIds(gqlA)
      const b = await ownIds(gqlB)
      const cursorsOfA = [
        ...(await gqlA('{ uploads(first: 200) { edges { cursor } } }')).data.uploads.edges.map((e: any) => ['uploads', e.cursor]),
        ...(await gqlA('{ detections(first: 200) { edges { cursor } } }')).data.detections.edges.map((e: any) => ['detections', e.cursor]),
      ]
      // A's ids with B's and far-future times: keyset positions that sort before every row.
      const forged = [...a.uploads.map((id: string) => ['uploads', b64(`9999999999999|${id}`)]), ...a.detections.map((id: string) => ['detections', b64(`9999999999999|${id}`)])]
      for (const [list, after] of [...cursorsOfA, ...forged]) {
        const res = await gqlB(`query ($a: String) { ${list}(after: $a, first: 200) { edges { node { id } } } }`, { a: after })
        expect(res.errors).toBeUndefined()
        const ids = res.data[list].edges.map((e: any) => e.node.id)
        for (const id of ids) expect(b[list as 'uploads' | 'detections']).toContain(id)
        for (const id of ids) expect(a[list as 'uploads' | 'detections']).not.toContain(id)
      }
      expect(forged.length).toBeGreaterThan(0)
    })
  })

  describe('3. XML external entities and DOCTYPEs', () => {
    it('an upload with a DOCTYPE, an external entity and a billion-laughs entity reads nothing it declares; errors name their lines', async () => {
      const started = Date.now()
      const done = await upload(keyA, 'xxe.xml', readFixture('logs/malformed/doctype-xxe.xml'))
      expect(Date.now() - started).toBeLessThan(30_000)
      expect(done).toMatchObject({ status: 'SUCCEEDED_WITH_ERRORS', processEvents: 1, errorCount: 3 })
      expect(done.errors.map((e) => [e.line, e.message])).toEqual([
        [2, 'XML error at line 2, column 1: DOCTYPE not allowed: document type and entity declarations are never read or expanded'],
        [16, expect.stringMatching(/undefined entity/)],
        [17, expect.stringMatching(/undefined entity/)],
      ])
      // Nothing of /etc/passwd (or of the expanded laughs) anywhere the tenant can look.
      const everything = JSON.stringify([
        await gqlA(`query ($id: ID!) { upload(id: $id) { ${UPLOAD_FIELDS} } }`, { id: done.id }),
        await gqlA('{ detections(first: 500) { edges { node { fields } } } }'),
        (await db.query('SELECT * FROM process_events WHERE upload_id = $1', [done.id])).rows,
      ])
      expect(everything).not.toMatch(/root:|nologin|\/bin\/(ba)?sh|lollollol/)
    })
  })

  describe('4. oversized strings', () => {
    it('a 4 MB string argument is just a value: answered, and the service stays up', async () => {
      const res = await gqlA('query ($s: String!) { rules(filter: { search: $s }) { id } detections(filter: { dest: $s }) { totalCount } }', { s: 'x'.repeat(4_000_000) })
      expect(res).toEqual({ data: { rules: [], detections: { totalCount: 0 } } })
      expect((await fetch(`${svc.url}/healthz`)).status).toBe(200)
    })

    it('rule YAML over 1 MiB is refused with PAYLOAD_TOO_LARGE naming the limit, before it is parsed', async () => {
      const huge = SEED_RULE_YAML.replace('WHERE Processes.process_name=ngrok.exe', `WHERE Processes.process_name=ngrok.exe Processes.process="*${'a'.repeat(1_100_000)}*"`)
      const before = await tableCounts()
      for (const [op, query] of [
        ['importRules', 'mutation ($y: String!) { importRules(yaml: $y) { rules { id } } }'],
        ['validateRule', 'query ($y: String!) { validateRule(yaml: $y) { valid } }'],
        ['previewRule', `query ($y: String!) { previewRule(yaml: $y, uploadId: "${hostileUpload}") { uploadId } }`],
      ]) {
        const started = Date.now()
        const res = await gqlA(query!, { y: huge })
        expect(res.errors?.[0], op).toMatchObject({ extensions: { code: 'PAYLOAD_TOO_LARGE', field: 'yaml', limit: 1048576 } })
        expect(res.errors?.[0]?.message).toMatch(/^yaml is \d+ bytes long; rule YAML is limited to 1048576 bytes per request/)
        expect(Date.now() - started).toBeLessThan(2_000)
      }
      expect(await tableCounts()).toEqual(before)
    })

    it('a search nested thousands of levels deep is a positioned rule error, not a stack overflow', async () => {
      for (const where of [`${'('.repeat(5000)}Processes.process=x${')'.repeat(5000)}`, `${'NOT '.repeat(5000)}Processes.process=x`]) {
        const res = await gqlA('query ($y: String!) { validateRule(yaml: $y) { valid errors { field line column message } } }', { y: draftWith(where) })
        expect(res.data.validateRule.valid).toBe(false)
        expect(res.data.validateRule.errors).toEqual([
          { field: 'search', line: expect.any(Number), column: expect.any(Number), message: 'the search nests parentheses and NOT more than 100 levels deep' },
        ])
      }
      // 100 levels are still fine.
      const ok = await gqlA('query ($y: String!) { validateRule(yaml: $y) { valid } }', { y: draftWith(`${'('.repeat(100)}Processes.process_name=ngrok.exe${')'.repeat(100)}`) })
      expect(ok.data.validateRule.valid).toBe(true)
    })

    it('a 9 MiB log line is reported with its line and offset; the events around it count', async () => {
      const head = Buffer.from(`${sysmonEvent(1, 'ngrok.exe http 80', 'CORP\\a')}\n`)
      const input = Buffer.concat([head, Buffer.alloc(9 * 1024 * 1024, 0x41), Buffer.from(`\n${sysmonEvent(2, 'ngrok.exe tcp 22', 'CORP\\b')}\n`)])
      const done = await upload(keyA, 'long-line.xml', input)
      expect(done).toMatchObject({ status: 'SUCCEEDED_WITH_ERRORS', processEvents: 2, errorCount: 1 })
      expect(done.errors).toEqual([{ line: 2, offset: head.length, message: 'line longer than 8388608 bytes; skipped' }])
      expect((await fetch(`${svc.url}/healthz`)).status).toBe(200)
    })

    it('a file that starts like EVTX but is not one fails with one error that says why; a real EVTX file is read', async () => {
      // The EVTX magic, then bytes with line breaks: not an "invalid UTF-8" error for every "line".
      const fake = Buffer.concat([Buffer.from('ElfFile\0', 'latin1'), Buffer.from(Array.from({ length: 4088 }, (_, i) => (i % 9 === 0 ? 0x0a : 0x80 + (i % 100))))])
      const failed = await upload(keyA, 'Security.evtx', fake)
      expect(failed).toMatchObject({ status: 'FAILED', errorCount: 1, processEvents: 0 })
      expect(failed.failureReason).toMatch(/^no event could be read; first error on line 1: EVTX format version \d+\.\d+ is not supported \(3\.x is\)$/)
      const real = await upload(keyA, 'Security.evtx', readFixture('logs/security-4688/evtx-to-mitre-attack-rdp-hijack.evtx'))
      expect(real).toMatchObject({ status: 'SUCCEEDED', errorCount: 0, processEvents: 12 })
    })

    it('a 9 MiB export written as ONE line of events (wevtutil) is read event by event: every event stored, none an error', async () => {
      const count = Math.ceil((9 * 1024 * 1024) / Buffer.byteLength(sysmonEvent(1, 'ngrok.exe tcp 3389', 'CORP\\a')))
      const oneLine = Array.from({ length: count }, (_, i) => sysmonEvent(700_000 + i, i % 100 === 0 ? `ngrok.exe tcp ${i}` : `notepad.exe report-${i}.txt`, 'CORP\\w')).join('')
      const body = Buffer.from(`${oneLine}\r\n`)
      expect(body.length).toBeGreaterThan(9 * 1024 * 1024)
      const done = await upload(keyA, 'wevtutil-export.xml', body)
      expect(done).toMatchObject({ status: 'SUCCEEDED', processEvents: count, errorCount: 0 })
      const stored = await db.query<{ n: string; lines: string[] }>("SELECT count(*) AS n, array_agg(DISTINCT line::text) AS lines FROM process_events WHERE upload_id = $1", [done.id])
      expect(stored.rows[0]).toEqual({ n: String(count), lines: ['1'] })
    })

    it('a 9 MiB JSON array on ONE line (jq -c -s) is read element by element: every event stored, none an error', async () => {
      const template = JSON.parse(readFixture('logs/crowdstrike/ngrok-synthetic.ndjson').toString('utf8').split('\n')[0]!) as Record<string, unknown>
      const fdr = (i: number) => ({ ...template, TargetProcessId: String(900_000 + i), CommandLine: `"C:\\tools\\app.exe" --opt "}],[{" ${i}` })
      const count = Math.ceil((9 * 1024 * 1024) / JSON.stringify(fdr(0)).length)
      const body = Buffer.from(`${JSON.stringify(Array.from({ length: count }, (_, i) => fdr(i)))}\n`)
      expect(body.length).toBeGreaterThan(9 * 1024 * 1024)
      const done = await upload(keyA, 'events.json', body)
      expect(done).toMatchObject({ status: 'SUCCEEDED', processEvents: count, errorCount: 0 })
      const stored = await db.query<{ n: string; lines: string[] }>('SELECT count(*) AS n, array_agg(DISTINCT line::text) AS lines FROM process_events WHERE upload_id = $1', [done.id])
      expect(stored.rows[0]).toEqual({ n: String(count), lines: ['1'] })
    })
  })

  describe('5. invalid UTF-8', () => {
    it('bytes that are not UTF-8 fail their own line only, with its offset; the events before and after are kept', async () => {
      const first = Buffer.from(`${sysmonEvent(11, 'ngrok.exe http 80', 'CORP\\a')}\n`)
      const bad = Buffer.concat([Buffer.from(sysmonEvent(12, 'ngrok.exe http 81', 'CORP\\b').replace('ngrok.exe http 81', 'ngrok.exe http ')), Buffer.from([0xc3, 0x28, 0xff, 0xfe]), Buffer.from('\n')])
      const lone = Buffer.from([0xed, 0xa0, 0x80, 0x0a]) // a UTF-16 surrogate encoded as UTF-8, on its own line
      const last = Buffer.from(`${sysmonEvent(13, 'ngrok.exe tcp 22', 'CORP\\c')}\n`)
      const done = await upload(keyA, 'bad-utf8.xml', Buffer.concat([first, bad, lone, last]))
      expect(done).toMatchObject({ status: 'SUCCEEDED_WITH_ERRORS', processEvents: 2, errorCount: 2 })
      expect(done.errors.map((e) => [e.line, e.offset])).toEqual([
        [2, first.length],
        [3, first.length + bad.length],
      ])
      for (const e of done.errors) expect(e.message).toMatch(/^invalid UTF-8 at byte \d+ of the line \(0x[0-9a-f]{2}\)$/)
      const stored = await db.query<{ process: string }>('SELECT process FROM process_events WHERE upload_id = $1 ORDER BY process', [done.id])
      expect(stored.rows.map((r) => r.process)).toEqual(['ngrok.exe http 80', 'ngrok.exe tcp 22'])
    })
  })

  describe('6. gzip bombs', () => {
    /** Real events, then `mebibytes` MiB of zeros, in one gzip stream built as it streams (never 200 MB in memory). */
    async function eventsThenZeros(events: Buffer, mebibytes: number): Promise<Buffer> {
      const zeros = Buffer.alloc(1024 * 1024)
      async function* plain() {
        yield events
        for (let i = 0; i < mebibytes; i++) yield zeros
      }
      return buffer(Readable.from(plain()).pipe(createGzip()))
    }

    it('a bomb after real events stops at the ratio limit: the events are kept, the upload says where and why', async () => {
      const events = Buffer.from(`${sysmonEvent(21, 'ngrok.exe http 80', 'CORP\\a')}\n${sysmonEvent(22, 'ngrok.exe tcp 22', 'CORP\\b')}\n`)
      const bomb = await eventsThenZeros(events, 200)
      const started = Date.now()
      const done = await upload(keyA, 'bomb.xml.gz', bomb)
      expect(Date.now() - started).toBeLessThan(30_000)
      expect(done).toMatchObject({ status: 'SUCCEEDED_WITH_ERRORS', processEvents: 2, errorCount: 1, failureReason: null })
      expect(done.errors).toEqual([
        {
          line: 3,
          offset: events.length,
          message: expect.stringMatching(/^gzip data inflates more than 100:1 \(\d+ bytes from \d+ compressed bytes, \d+:1; maxDecompressionRatio\), likely a decompression bomb; rest not read$/),
        },
      ])
      const inflated = Number(/\((\d+) bytes from/.exec(done.errors[0]!.message)![1])
      expect(inflated).toBeLessThan(2 * 1024 * 1024) // stopped after ~1 MiB, not 200 MB
    })

    it('a bare bomb has no event to keep: FAILED, naming the gzip error', async () => {
      const done = await upload(keyA, 'zeros.gz', gzipSync(Buffer.alloc(50 * 1024 * 1024)))
      expect(done).toMatchObject({ status: 'FAILED', eventCount: 0, errorCount: 1 })
      expect(done.failureReason).toMatch(/^no event could be read; first error on line 1: gzip data inflates more than 100:1 /)
    })

    it('a bomb inside a ZIP archive stops at the same ratio; the archive\'s other files are read', async () => {
      const events = `${sysmonEvent(31, 'ngrok.exe http 80', 'CORP\\a')}\n${sysmonEvent(32, 'ngrok.exe tcp 22', 'CORP\\b')}\n`
      const archive = zipArchive([{ name: 'zeros.xml', data: Buffer.alloc(50 * 1024 * 1024) }, { name: 'logs/sysmon.xml', data: events }])
      const done = await upload(keyA, 'bundle.zip', archive)
      expect(done).toMatchObject({ status: 'SUCCEEDED_WITH_ERRORS', processEvents: 2, errorCount: 1, failureReason: null })
      expect(done.errors).toEqual([{ line: 1, offset: 0, message: expect.stringMatching(/^entry zeros\.xml: deflate data inflates more than 100:1 .*likely a decompression bomb; rest not read$/) }])
    })
  })

  describe('7. NUL characters', () => {
    it('text holding U+0000 — in variables or in the query itself — is refused as BAD_USER_INPUT naming where, never a 500', async () => {
      const cases: [string, Record<string, unknown> | undefined, string][] = [
        ['query ($d: String) { detections(filter: { dest: $d }) { totalCount } }', { d: 'a\u0000b' }, 'variables.d'],
        ['query ($o: String) { riskObjects(filter: { object: $o }) { object } }', { o: '\u0000' }, 'variables.o'],
        ['mutation ($n: String!) { createApiKey(name: $n, role: reader) { key } }', { n: 'key\u0000' }, 'variables.n'],
        ['mutation ($f: [RuleFixtureInput!]!) { setRuleFixtures(id: "x", fixtures: $f) { id } }', { f: [{ name: 'a', kind: 'TRUE_POSITIVE', log: 'x\u0000' }] }, 'variables.f[0].log'],
        ['{ detections(filter: { dest: "a\\u0000b" }) { totalCount } }', undefined, 'query'],
      ]
      for (const [query, variables, where] of cases) {
        const res = await fetch(`${svc.url}/graphql`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${keyA}` },
          body: JSON.stringify({ query, variables }),
        })
        expect(res.status, query).toBe(400)
        expect(await res.json()).toEqual({
          errors: [{ message: `text may not contain the NUL character (U+0000), which cannot be stored: found in ${where}`, extensions: { code: 'BAD_USER_INPUT', field: where } }],
        })
      }
    })
  })
})
