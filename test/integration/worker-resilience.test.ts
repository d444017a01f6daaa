import { randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { foldIngestItems, newIngestStats, readEventBatches } from '../../src/ingest/index.js'
import { readFixture, SEED_RULE_YAML } from '../helpers/fixtures.js'
import { deleteQueueKeys } from '../helpers/redis-keys.js'
import { serviceEnv, startServiceProcess, type ServiceProcess } from '../helpers/service-process.js'
import { createTestTenant } from '../helpers/tenant.js'
import { createTestDatabase } from '../helpers/test-database.js'
import { TEST_REDIS_URL } from '../helpers/test-env.js'
import { graphql } from '../helpers/test-service.js'
import { waitForUpload } from '../helpers/uploads.js'
import { syntheticLog } from '../load/synthetic-logs.js'

/**
 * A worker never dies because of a bad event, and one bad event never fails the upload it is in:
 * real `watchpost serve` and `watchpost worker` processes get an upload with garbage in the middle
 * — binary bytes, a JSON error whose text holds a NUL, events whose values Postgres cannot store
 * as they are (NUL, an unpaired UTF-16 surrogate) in fields a detection groups by, fields of the
 * wrong JSON type, a DOCTYPE, deep nesting — and must store every good event, report every bad
 * line, keep running (same process), and process the next upload normally.
 */

const CROWDSTRIKE_NGROK = JSON.parse(readFixture('logs/crowdstrike/ngrok-synthetic.ndjson').toString('utf8').split('\n')[2]!) as Record<string, string>

/** A CrowdStrike ngrok event (detected by the ngrok rule) with its own identity and command line. */
const crowdstrikeNgrok = (targetProcessId: number, commandLine: string): string => JSON.stringify({ ...CROWDSTRIKE_NGROK, TargetProcessId: String(targetProcessId), CommandLine: commandLine })

const GARBAGE_IN_THE_MIDDLE = [
  Buffer.from([0x00, 0xff, 0xfe, 0x1f, 0x8b, 0x0a]), // binary, with a line break of its own
  Buffer.from('{"event_simpleName": \u0000}\n'), // a JSON error whose message quotes a NUL
  Buffer.from(`${crowdstrikeNgrok(900_001, 'C:\\TOOLS\\NGROK.EXE tcp 3389 \u0000nul')}\n`), // NUL in a grouped field
  Buffer.from(`${crowdstrikeNgrok(900_002, 'C:\\TOOLS\\NGROK.EXE tcp 3389 \ud800lone')}\n`), // an unpaired surrogate (as a JSON escape)
  Buffer.from(`${JSON.stringify({ ...CROWDSTRIKE_NGROK, TargetProcessId: { nested: [1, 2] }, timestamp: 'soon', CommandLine: 42 })}\n`), // wrong types
  Buffer.from(`<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>\n`),
  Buffer.from(`${'['.repeat(100_000)}${']'.repeat(100_000)}\n`),
  Buffer.from(`{"winlog": {"channel": "\\u0000\\ud800", "event_id": "7"}, "@timestamp": "2026-03-01T00:00:00Z"}\n`), // a skipped kind named by NUL and a lone surrogate
]

async function expectedOf(bytes: Buffer) {
  const stats = newIngestStats()
  for await (const batch of readEventBatches((async function* () {
    yield bytes
  })())) foldIngestItems(stats, batch.items)
  return stats
}

describe('a worker and a bad event', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>
  let api: ServiceProcess
  let worker: ServiceProcess
  let apiKey: string
  const queuePrefix = `wptest-${randomBytes(4).toString('hex')}`

  beforeAll(async () => {
    db = await createTestDatabase()
    apiKey = (await createTestTenant(db.url, 'resilience')).apiKey
    ;[api, worker] = await Promise.all([startServiceProcess('serve', serviceEnv(db.url, queuePrefix)), startServiceProcess('worker', serviceEnv(db.url, queuePrefix))])
    const imported = await graphql<{ importRules: { rules: { id: string }[] } }>(api.url!, apiKey, 'mutation ($y: String!) { importRules(yaml: $y) { rules { id } } }', { y: SEED_RULE_YAML })
    expect(imported.data?.importRules.rules).toHaveLength(1)
  })
  afterAll(async () => {
    await api?.kill()
    await worker?.kill()
    await db?.drop()
    await deleteQueueKeys(TEST_REDIS_URL, queuePrefix)
  })

  async function upload(fileName: string, body: Buffer) {
    const res = await fetch(`${api.url}/v1/uploads?fileName=${fileName}`, { method: 'POST', headers: { authorization: `Bearer ${apiKey}` }, body })
    expect(res.status).toBe(202)
    const { upload: created } = (await res.json()) as { upload: { id: string } }
    const done = (await waitForUpload(api.url!, apiKey, created.id)) as unknown as { status: string; processEvents: number; errorCount: number; errors: { line: number; message: string }[]; failureReason: string | null }
    // The worker logs the job's end after its commit, which the API may show first: wait for the line.
    await worker.waitForLog('upload job finished', { uploadId: created.id })
    return done
  }

  it('keeps every good event around garbage, reports each bad line, and detects the events it had to clean', async () => {
    const before = syntheticLog({ source: 'sysmon-xml', events: 300, seed: 11, firstId: 1 })
    const after = syntheticLog({ source: 'crowdstrike-json', events: 300, seed: 12, firstId: 1 })
    const body = Buffer.concat([before, ...GARBAGE_IN_THE_MIDDLE, after])
    const expected = await expectedOf(body)
    expect(expected.processEvents).toBe(300 + 2 + 300) // the two events with a NUL or a lone surrogate are events

    const done = await upload('garbage-in-the-middle.log', body)
    expect(done).toMatchObject({ status: 'SUCCEEDED_WITH_ERRORS', processEvents: expected.processEvents, errorCount: expected.errorCount, failureReason: null })
    expect(done.errors.map((e) => e.line)).toEqual(expected.errors.map((e) => e.line))
    for (const e of done.errors) expect(e.message).not.toContain('\u0000')

    const detections = await graphql<{ detections: { edges: { node: { fields: { process: string } } }[] } }>(api.url!, apiKey, '{ detections(first: 100) { edges { node { fields } } } }')
    const processes = detections.data!.detections.edges.map((e) => e.node.fields.process)
    expect(processes).toContain('C:\\TOOLS\\NGROK.EXE tcp 3389 nul')
    expect(processes).toContain('C:\\TOOLS\\NGROK.EXE tcp 3389 \uFFFDlone')
  })

  it('is still the same process afterwards, never failed a job, and processes the next upload normally', async () => {
    const next = syntheticLog({ source: 'security-4688-xml', events: 500, seed: 13, firstId: 1 })
    expect(await upload('next.xml', next)).toMatchObject({ status: 'SUCCEEDED', processEvents: 500, errorCount: 0 })
    expect(worker.proc.exitCode).toBeNull()
    expect(worker.proc.signalCode).toBeNull()
    const messages = worker.logs.map((l) => l.msg)
    expect(messages.filter((m) => m === 'upload job finished')).toHaveLength(2)
    expect(messages).not.toContain('upload job failed')
    expect(worker.logs.filter((l) => l.level >= 50)).toEqual([]) // no error logged at all
  })
})
