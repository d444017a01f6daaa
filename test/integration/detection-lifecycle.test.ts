import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { distinctCopies, readFixture, SEED_RULE_YAML } from '../helpers/fixtures.js'
import { createTestTenant } from '../helpers/tenant.js'
import { graphql, startTestService, type TestService } from '../helpers/test-service.js'
import { uploadMultipart, waitForUpload } from '../helpers/uploads.js'

// Detections as a lifecycle, over real HTTP, Postgres, Redis and the worker: triage status,
// assignee and comments; filters; who may change what; and what a later upload does to a
// detection that was closed (a true positive that fires again is reopened, a false positive stays closed).

const SYSMON = readFixture('logs/sysmon/ngrok-synthetic.xml')
/** Line 2 of the fixture alone: one more ngrok event of alice's detection, and of no other. */
// Alice's event again as a new event (another EventRecordID): the same event twice counts once.
const ALICE_AGAIN = distinctCopies(Buffer.from(SYSMON.toString('utf8').split('\n')[1]!, 'utf8'), 1, 1)

const DETECTION = 'id count status assignee statusChangedAt fields comments { id author authorKeyId body createdAt }'

interface Comment {
  id: string
  author: string
  authorKeyId: string | null
  body: string
  createdAt: string
}
interface Detection {
  id: string
  count: number
  status: string
  assignee: string | null
  statusChangedAt: string
  fields: Record<string, string>
  comments: Comment[]
}

let svc: TestService
let admin: string
let analyst: { key: string; id: string }
let reader: string
let ingest: string
/** Detection ids by the `user` BY field (alice has two: `authtoken` is her `ngrok config add-authtoken` one). */
const byUser: Record<string, string> = {}

const gql = <T = any>(key: string, query: string, variables?: Record<string, unknown>) => graphql<T>(svc.url, key, query, variables)

async function detection(id: string): Promise<Detection> {
  const res = await gql<{ detections: { edges: { node: Detection }[] } }>(admin, `{ detections(first: 10) { edges { node { ${DETECTION} } } } }`)
  expect(res.errors).toBeUndefined()
  const found = res.data!.detections.edges.map((e) => e.node).find((d) => d.id === id)
  expect(found, `detection ${id}`).toBeDefined()
  return found!
}

const setStatus = (key: string, id: string, status: string, comment?: string | null) =>
  gql<{ setDetectionStatus: Detection }>(key, `mutation ($id: ID!, $s: DetectionStatus!, $c: String) { setDetectionStatus(id: $id, status: $s, comment: $c) { ${DETECTION} } }`, { id, s: status, c: comment })
const assign = (key: string, id: string, assignee: string | null) =>
  gql<{ assignDetection: Detection }>(key, `mutation ($id: ID!, $a: String) { assignDetection(id: $id, assignee: $a) { ${DETECTION} } }`, { id, a: assignee })
const comment = (key: string, id: string, body: string) =>
  gql<{ addDetectionComment: Comment }>(key, 'mutation ($id: ID!, $b: String!) { addDetectionComment(id: $id, body: $b) { id author authorKeyId body createdAt } }', { id, b: body })

async function createKey(name: string, role: string): Promise<{ key: string; id: string }> {
  const res = await gql<{ createApiKey: { key: string; apiKey: { id: string } } }>(admin, `mutation { createApiKey(name: "${name}", role: ${role}) { key apiKey { id } } }`)
  expect(res.errors).toBeUndefined()
  return { key: res.data!.createApiKey.key, id: res.data!.createApiKey.apiKey.id }
}

async function upload(bytes: Buffer, name: string): Promise<string> {
  const sent = await uploadMultipart(svc.url, admin, name, bytes)
  expect(sent.errors).toBeUndefined()
  const done = await waitForUpload(svc.url, admin, sent.data!.uploadLogs.id)
  expect(done.status, JSON.stringify(done)).not.toBe('FAILED')
  return sent.data!.uploadLogs.id
}

beforeAll(async () => {
  svc = await startTestService()
  admin = (await createTestTenant(svc.databaseUrl, 'lifecycle')).apiKey
  analyst = await createKey('alice analyst', 'analyst')
  reader = (await createKey('auditor', 'reader')).key
  ingest = (await createKey('shipper', 'ingest')).key
  const imported = await gql(admin, 'mutation ($y: String!) { importRules(yaml: $y) { errors { message } } }', { y: SEED_RULE_YAML })
  expect(imported.errors).toBeUndefined()
  await upload(SYSMON, 'ngrok.xml')
  const res = await gql<{ detections: { edges: { node: Detection }[] } }>(admin, `{ detections { edges { node { ${DETECTION} } } } }`)
  for (const { node } of res.data!.detections.edges) byUser[node.fields.process!.includes('add-authtoken') ? 'authtoken' : node.fields.user!] = node.id
  expect(Object.keys(byUser).sort()).toEqual(['alice', 'authtoken', 'dave', 'svc_tunnel'])
})

afterAll(async () => {
  await svc?.close()
})

describe('detection lifecycle', () => {
  it('starts every detection as NEW, unassigned, without comments', async () => {
    const d = await detection(byUser.alice!)
    expect(d).toMatchObject({ status: 'NEW', assignee: null, comments: [] })
    expect(Date.parse(d.statusChangedAt)).not.toBeNaN()
  })

  it('moves through triage; the same status again changes nothing but adds the comment', async () => {
    const id = byUser.dave!
    const before = await detection(id)
    const ack = await setStatus(analyst.key, id, 'ACKNOWLEDGED')
    expect(ack.errors).toBeUndefined()
    expect(ack.data!.setDetectionStatus).toMatchObject({ id, status: 'ACKNOWLEDGED', comments: [] })
    const ackAt = ack.data!.setDetectionStatus.statusChangedAt
    expect(Date.parse(ackAt)).toBeGreaterThan(Date.parse(before.statusChangedAt))

    const again = await setStatus(analyst.key, id, 'ACKNOWLEDGED', 'looking at the parent process')
    expect(again.data!.setDetectionStatus.statusChangedAt).toBe(ackAt)
    expect(again.data!.setDetectionStatus.comments.map((c) => c.body)).toEqual(['looking at the parent process'])

    const closed = await setStatus(admin, id, 'CLOSED_FALSE_POSITIVE', 'dev tunnel approved in CHG-1234')
    expect(closed.errors).toBeUndefined()
    expect(closed.data!.setDetectionStatus.status).toBe('CLOSED_FALSE_POSITIVE')
    expect(Date.parse(closed.data!.setDetectionStatus.statusChangedAt)).toBeGreaterThanOrEqual(Date.parse(ackAt))
    expect(closed.data!.setDetectionStatus.comments.map((c) => c.body)).toEqual(['looking at the parent process', 'dev tunnel approved in CHG-1234'])

    // Reopening by hand is allowed.
    const reopened = await setStatus(analyst.key, id, 'NEW')
    expect(reopened.data!.setDetectionStatus.status).toBe('NEW')
  })

  it('assigns, re-assigns and unassigns', async () => {
    const id = byUser.svc_tunnel!
    const a = await assign(analyst.key, id, '  alice@corp.example.com ')
    expect(a.errors).toBeUndefined()
    expect(a.data!.assignDetection.assignee).toBe('alice@corp.example.com')
    expect((await assign(admin, id, 'Bob Builder')).data!.assignDetection.assignee).toBe('Bob Builder')
    expect((await detection(id)).assignee).toBe('Bob Builder')
    expect((await assign(analyst.key, id, null)).data!.assignDetection.assignee).toBeNull()
    expect((await detection(id)).assignee).toBeNull()
    // Assigning does not touch the status.
    expect((await detection(id)).status).toBe('NEW')
  })

  it('keeps comments oldest first, with the writing key as author', async () => {
    const id = byUser.authtoken!
    const first = await comment(analyst.key, id, 'first look: looks like a pentest')
    expect(first.errors).toBeUndefined()
    expect(first.data!.addDetectionComment).toMatchObject({ author: 'alice analyst', authorKeyId: analyst.id, body: 'first look: looks like a pentest' })
    await comment(admin, id, 'confirmed with the red team\n\n- ticket RT-77')
    const third = '🦊'.repeat(10_000) // 10,000 characters (20,000 UTF-16 units): the limit counts characters
    expect((await comment(analyst.key, id, third)).errors).toBeUndefined()
    const d = await detection(id)
    expect(d.comments.map((c) => [c.author, c.body])).toEqual([
      ['alice analyst', 'first look: looks like a pentest'],
      ['initial admin key', 'confirmed with the red team\n\n- ticket RT-77'],
      ['alice analyst', third],
    ])
    const times = d.comments.map((c) => Date.parse(c.createdAt))
    expect(times).toEqual([...times].sort((x, y) => x - y))
  })

  it('refuses bad input with BAD_USER_INPUT and changes nothing', async () => {
    const id = byUser.alice!
    const before = await detection(id)
    const bad = [
      await comment(analyst.key, id, ''),
      await comment(analyst.key, id, ' \n\t '),
      await comment(analyst.key, id, 'x'.repeat(10_001)),
      await setStatus(analyst.key, id, 'CLOSED_TRUE_POSITIVE', '   '),
      await setStatus(analyst.key, id, 'CLOSED_TRUE_POSITIVE', 'y'.repeat(10_001)),
      await assign(analyst.key, id, ''),
      await assign(analyst.key, id, '   '),
      await assign(analyst.key, id, 'a'.repeat(201)),
      await assign(analyst.key, id, 'alice\nbob'),
      await gql(analyst.key, `mutation { assignDetection(id: "${id}") { id } }`),
    ]
    for (const res of bad) {
      expect(res.errors?.[0]?.extensions?.code, JSON.stringify(res.errors)).toBe('BAD_USER_INPUT')
      expect(res.errors?.[0]?.message).toMatch(/comment|body|assignee/)
    }
    expect(bad[2]!.errors![0]!.message).toContain('at most 10000 characters')
    const unknownStatus = await gql(analyst.key, `mutation { setDetectionStatus(id: "${id}", status: CLOSED) { id } }`)
    expect(unknownStatus.errors?.[0]?.extensions?.code).toMatch(/GRAPHQL_VALIDATION_FAILED|BAD_USER_INPUT/)
    expect(await detection(id)).toEqual(before)
  })

  it('answers NOT_FOUND for a detection that does not exist, or an id that is no uuid', async () => {
    for (const id of ['00000000-0000-4000-8000-000000000099', 'not-a-uuid']) {
      for (const res of [await setStatus(analyst.key, id, 'ACKNOWLEDGED'), await assign(analyst.key, id, 'x'), await comment(analyst.key, id, 'x')]) {
        expect(res.errors?.[0]?.extensions?.code).toBe('NOT_FOUND')
      }
    }
  })

  it('lets readers read the lifecycle but not change it; ingest keys neither', async () => {
    const id = byUser.alice!
    const read = await gql<{ detections: { edges: { node: Detection }[] } }>(reader, `{ detections { edges { node { ${DETECTION} } } } }`)
    expect(read.errors).toBeUndefined()
    expect(read.data!.detections.edges).toHaveLength(4)
    for (const key of [reader, ingest]) {
      for (const res of [await setStatus(key, id, 'ACKNOWLEDGED'), await assign(key, id, 'me'), await comment(key, id, 'hi')]) {
        expect(res.errors?.[0]?.extensions?.code).toBe('FORBIDDEN')
      }
    }
    expect((await setStatus(reader, id, 'ACKNOWLEDGED')).errors![0]!.message).toBe('the reader role may not triage')
    expect((await gql(ingest, '{ detections { totalCount } }')).errors?.[0]?.extensions?.code).toBe('FORBIDDEN')
    expect(await detection(id)).toMatchObject({ status: 'NEW', assignee: null, comments: [] })
  })

  it('filters detections by status, assignee and whether they are assigned', async () => {
    await setStatus(analyst.key, byUser.alice!, 'ACKNOWLEDGED')
    await setStatus(analyst.key, byUser.authtoken!, 'CLOSED_TRUE_POSITIVE')
    await setStatus(analyst.key, byUser.dave!, 'CLOSED_FALSE_POSITIVE')
    await assign(analyst.key, byUser.alice!, 'Carol')
    await assign(analyst.key, byUser.authtoken!, 'carol')
    const users = async (filter: Record<string, unknown>): Promise<[number, string[]]> => {
      const res = await gql<{ detections: { totalCount: number; edges: { node: Detection }[] } }>(
        reader,
        'query ($f: DetectionFilter) { detections(filter: $f) { totalCount edges { node { id } } } }',
        { f: filter },
      )
      expect(res.errors).toBeUndefined()
      const label = (id: string) => Object.keys(byUser).find((u) => byUser[u] === id)!
      return [res.data!.detections.totalCount, res.data!.detections.edges.map((e) => label(e.node.id)).sort()]
    }
    expect(await users({ status: ['NEW', 'ACKNOWLEDGED'] })).toEqual([2, ['alice', 'svc_tunnel']])
    expect(await users({ status: 'CLOSED_FALSE_POSITIVE' })).toEqual([1, ['dave']])
    expect(await users({ status: [] })).toEqual([0, []])
    expect(await users({ assignee: 'CAROL' })).toEqual([2, ['alice', 'authtoken']])
    expect(await users({ assignee: 'carol', status: ['CLOSED_TRUE_POSITIVE'] })).toEqual([1, ['authtoken']])
    expect(await users({ assigned: false })).toEqual([2, ['dave', 'svc_tunnel']])
    expect(await users({ assigned: true, user: 'alice' })).toEqual([2, ['alice', 'authtoken']])
    expect(await users({ assigned: true, user: 'dave' })).toEqual([0, []])
  })

  it('reopens a true positive that fires again (with a comment), and leaves false positives closed', async () => {
    // State from the test above: alice ACKNOWLEDGED, authtoken CLOSED_TRUE_POSITIVE, dave CLOSED_FALSE_POSITIVE, svc_tunnel NEW.
    await setStatus(analyst.key, byUser.alice!, 'CLOSED_TRUE_POSITIVE', 'user confirmed the tunnel; host reimaged')
    const closedAt = (await detection(byUser.alice!)).statusChangedAt
    const tokenBefore = await detection(byUser.authtoken!)

    // A later upload with one more event of alice's detection only.
    const partial = await upload(ALICE_AGAIN, 'alice-again.xml')
    const alice = await detection(byUser.alice!)
    expect(alice).toMatchObject({ status: 'NEW', assignee: 'Carol', count: 2 })
    expect(Date.parse(alice.statusChangedAt)).toBeGreaterThan(Date.parse(closedAt))
    expect(alice.comments.at(-1)).toMatchObject({
      author: 'watchpost',
      authorKeyId: null,
      body: `Reopened: upload ${partial} added 1 event after this detection was closed as a true positive.`,
    })
    // Detections the upload did not touch keep their status.
    expect(await detection(byUser.authtoken!)).toEqual(tokenBefore)

    // The whole log again: every detection gets events.
    const full = await upload(distinctCopies(SYSMON, 1, 2), 'ngrok-again.xml')
    const [token, dave, svcTunnel, aliceAfter] = await Promise.all(['authtoken', 'dave', 'svc_tunnel', 'alice'].map((u) => detection(byUser[u]!)))
    expect(token).toMatchObject({ status: 'NEW', count: tokenBefore.count * 2 })
    expect(token.comments.at(-1)!.body).toBe(`Reopened: upload ${full} added ${tokenBefore.count} event${tokenBefore.count === 1 ? '' : 's'} after this detection was closed as a true positive.`)
    expect(dave).toMatchObject({ status: 'CLOSED_FALSE_POSITIVE', count: 4 })
    expect(dave.comments.filter((c) => c.author === 'watchpost')).toEqual([])
    expect(svcTunnel).toMatchObject({ status: 'NEW', count: 6 })
    // Already NEW: no second reopening comment.
    expect(aliceAfter).toMatchObject({ status: 'NEW', count: 3 })
    expect(aliceAfter.comments.filter((c) => c.author === 'watchpost')).toHaveLength(1)
  })

  it('records triage in the audit log: ids, status, assignee, comment length — never the comment', async () => {
    const res = await gql<{ auditLog: { edges: { node: { operation: string; outcome: string; actorRole: string; summary: Record<string, unknown> } }[] } }>(
      admin,
      '{ auditLog(first: 200) { edges { node { operation outcome actorRole summary } } } }',
    )
    expect(res.errors).toBeUndefined()
    const events = res.data!.auditLog.edges.map((e) => e.node).filter((e) => ['setDetectionStatus', 'assignDetection', 'addDetectionComment'].includes(e.operation))
    const json = JSON.stringify(events)
    for (const body of ['looking at the parent process', 'dev tunnel approved', 'first look', 'red team', 'host reimaged', '🦊']) expect(json).not.toContain(body)
    expect(events).toContainEqual({
      operation: 'setDetectionStatus',
      outcome: 'SUCCESS',
      actorRole: 'analyst',
      summary: { id: byUser.alice, status: 'CLOSED_TRUE_POSITIVE', commentLength: 'user confirmed the tunnel; host reimaged'.length },
    })
    expect(events).toContainEqual({ operation: 'setDetectionStatus', outcome: 'SUCCESS', actorRole: 'analyst', summary: { id: byUser.dave, status: 'ACKNOWLEDGED' } })
    expect(events).toContainEqual({ operation: 'assignDetection', outcome: 'SUCCESS', actorRole: 'analyst', summary: { id: byUser.svc_tunnel, assignee: null } })
    expect(events).toContainEqual({ operation: 'assignDetection', outcome: 'SUCCESS', actorRole: 'admin', summary: { id: byUser.svc_tunnel, assignee: 'Bob Builder' } })
    const comments = events.filter((e) => e.operation === 'addDetectionComment' && e.outcome === 'SUCCESS')
    expect(comments.map((e) => e.summary.commentLength).sort((a, b) => Number(a) - Number(b))).toEqual([32, 'confirmed with the red team\n\n- ticket RT-77'.length, 10_000])
    expect(comments.every((e) => typeof e.summary.commentId === 'string')).toBe(true)
    expect(events).toContainEqual({ operation: 'addDetectionComment', outcome: 'FORBIDDEN', actorRole: 'reader', summary: { id: byUser.alice, commentLength: 2 } })
    expect(events).toContainEqual({ operation: 'addDetectionComment', outcome: 'BAD_USER_INPUT', actorRole: 'analyst', summary: { id: byUser.alice, commentLength: 10_001 } })
  })
})
