import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { distinctCopies, readFixture, SEED_RULE_YAML } from '../helpers/fixtures.js'
import { createTestTenant } from '../helpers/tenant.js'
import { graphql, startTestService, type TestService } from '../helpers/test-service.js'
import { uploadMultipart, waitForUpload } from '../helpers/uploads.js'

// How uploads end (SUCCEEDED, SUCCEEDED_WITH_ERRORS, FAILED with a reason), and the CrowdStrike
// aid → host name inventory that gives ProcessRollup2 events their `dest`.

const AIDMASTER_CSV = [
  'aid,ComputerName,AgentVersion',
  '8c2f1a4e9d3b4c7a8e1f0a2b3c4d5e6f,WS-ALICE01,7.10.0',
  'E41A0C7F5B6D4E8F9A0B1C2D3E4F5A6B,"SRV-APP03",7.10.0',
  'not-an-aid,WS-NOPE,7.10.0',
  '5d60b3c97e8f4a1b2c3d4e5f6a7b8c9d,,7.10.0',
].join('\n')

describe('upload outcomes and CrowdStrike hosts', () => {
  let svc: TestService
  let key: string
  const gql = <T = any>(query: string, variables?: Record<string, unknown>) => graphql<T>(svc.url, key, query, variables)
  const upload = async (name: string, bytes: Buffer, format?: string) => {
    const res = await uploadMultipart(svc.url, key, name, bytes, format)
    expect(res.errors).toBeUndefined()
    return waitForUpload(svc.url, key, res.data!.uploadLogs.id)
  }

  beforeAll(async () => {
    svc = await startTestService()
    key = (await createTestTenant(svc.databaseUrl, 'outcomes')).apiKey
    await gql('mutation ($y: String!) { importRules(yaml: $y) { rules { id } } }', { y: SEED_RULE_YAML })
  })
  afterAll(async () => {
    await svc?.close()
  })

  it('fails an empty upload with a reason', async () => {
    expect(await upload('empty.xml', Buffer.alloc(0))).toMatchObject({ status: 'FAILED', failureReason: 'the upload is empty (0 bytes)', eventCount: 0 })
  })

  it('fails an upload in which no event can be read, naming the first error', async () => {
    // An image file renamed .log: no line is XML or JSON.
    const garbage = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(64, 0xff), Buffer.from('\n\u0000\u0001binary\n')])
    const done = await upload('garbage.log', garbage)
    expect(done.status).toBe('FAILED')
    expect(done.failureReason).toMatch(/^no event could be read; first error on line 1: /)
    expect(done.errorCount).toBeGreaterThan(0)
  })

  it('succeeds cleanly when every event is read, counting skipped events per kind', async () => {
    const res = await uploadMultipart(svc.url, key, '4688.xml', readFixture('logs/security-4688/ngrok-synthetic.xml'))
    const id = res.data!.uploadLogs.id
    await waitForUpload(svc.url, key, id)
    const u = await gql('query ($id: ID!) { upload(id: $id) { status processEvents skipped skippedByKind errorCount } }', { id })
    expect(u.data.upload).toEqual({ status: 'SUCCEEDED', processEvents: 6, skipped: 1, skippedByKind: { 'security:4624': 1 }, errorCount: 0 })
  })

  it('imports the aidmaster inventory, reporting bad rows by line', async () => {
    const res = await gql('mutation ($d: String!) { importCrowdStrikeHosts(data: $d) { inserted updated errors { line message } } }', { d: AIDMASTER_CSV })
    expect(res.data.importCrowdStrikeHosts).toEqual({
      inserted: 2,
      updated: 0,
      errors: [
        { line: 4, message: 'aid "not-an-aid" is not 32 hexadecimal digits' },
        { line: 5, message: 'no host name (expected one of ComputerName, hostname, device_hostname, computer_name)' },
      ],
    })
    const json = '{"aid":"8c2f1a4e9d3b4c7a8e1f0a2b3c4d5e6f","ComputerName":"WS-ALICE01.corp.example.com"}\n'
    const again = await gql('mutation ($d: String!) { importCrowdStrikeHosts(data: $d) { inserted updated errors { line } } }', { d: json })
    expect(again.data.importCrowdStrikeHosts).toEqual({ inserted: 0, updated: 1, errors: [] })
    expect((await gql('{ crowdStrikeHostCount }')).data.crowdStrikeHostCount).toBe(2)
  })

  it('gives CrowdStrike detections their host from the inventory; `ngrok http 80` is not detected (process_name=ngrok)', async () => {
    const done = await upload('fdr.ndjson', readFixture('logs/crowdstrike/ngrok-synthetic.ndjson'))
    expect(done).toMatchObject({ status: 'SUCCEEDED', processEvents: 6, skipped: 2 })
    const res = await gql('{ detections(first: 10) { edges { node { fields } } } }')
    const rows = res.data.detections.edges
      .filter((e: any) => e.node.fields.vendor_product === 'CrowdStrike FDR')
      .map((e: any) => [e.node.fields.dest, e.node.fields.process, e.node.fields.process_name, e.node.fields.vendor_product])
      .sort()
    expect(rows).toEqual([
      ['SRV-APP03', 'C:\\TOOLS\\NGROK.EXE tcp 3389', 'NGROK.EXE', 'CrowdStrike FDR'],
      ['WS-ALICE01.corp.example.com', 'C:\\Users\\alice\\AppData\\Local\\ngrok\\ngrok.exe http 8080', 'ngrok.exe', 'CrowdStrike FDR'],
    ])
  })
})

describe('deleting an upload', () => {
  let svc: TestService
  let key: string
  const gql = <T = any>(query: string, variables?: Record<string, unknown>) => graphql<T>(svc.url, key, query, variables)
  beforeAll(async () => {
    svc = await startTestService()
    key = (await createTestTenant(svc.databaseUrl, 'deleter')).apiKey
    await gql('mutation ($y: String!) { importRules(yaml: $y) { rules { id } } }', { y: SEED_RULE_YAML })
  })
  afterAll(async () => {
    await svc?.close()
  })

  it('removes its bytes, events and risk events, and only its share of shared detections', async () => {
    const sysmon = readFixture('logs/sysmon/ngrok-synthetic.xml')
    const ids: string[] = []
    // Two uploads of the same activity as distinct events (the same events twice would count once).
    for (const [i, name] of ['first.xml', 'second.xml'].entries()) {
      const res = await uploadMultipart(svc.url, key, name, distinctCopies(sysmon, 1, i))
      ids.push(res.data!.uploadLogs.id)
      await waitForUpload(svc.url, key, res.data!.uploadLogs.id)
    }
    const counts = async () => (await gql('{ detections { edges { node { count } } } riskObjects { object riskEventCount } }')).data
    const both = await counts()
    expect(both.detections.edges.map((e: any) => e.node.count).sort()).toEqual([2, 2, 4, 6])
    expect((await gql('mutation ($id: ID!) { deleteUpload(id: $id) }', { id: ids[0] })).data.deleteUpload).toBe(ids[0])
    const one = await counts()
    expect(one.detections.edges.map((e: any) => e.node.count).sort()).toEqual([1, 1, 2, 3])
    expect(one.riskObjects.find((r: any) => r.object === 'alice').riskEventCount).toBe(2)
    expect((await gql('query ($id: ID!) { upload(id: $id) { id } }', { id: ids[0] })).data.upload).toBeNull()
    await gql('mutation ($id: ID!) { deleteUpload(id: $id) }', { id: ids[1] })
    expect(await counts()).toEqual({ detections: { edges: [] }, riskObjects: [] })
    const pgClient = new pg.Client({ connectionString: svc.databaseUrl })
    await pgClient.connect()
    const left = await pgClient.query('SELECT (SELECT count(*) FROM process_events)::int AS e, (SELECT count(*) FROM upload_chunks)::int AS c')
    await pgClient.end()
    expect(left.rows[0]).toEqual({ e: 0, c: 0 })
    expect((await gql('mutation ($id: ID!) { deleteUpload(id: $id) }', { id: ids[1] })).errors?.[0]?.extensions?.code).toBe('NOT_FOUND')
  })
})
