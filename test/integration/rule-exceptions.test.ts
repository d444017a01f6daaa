import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readFixture, SEED_RULE_YAML } from '../helpers/fixtures.js'
import { createTestTenant } from '../helpers/tenant.js'
import { graphql, startTestService, type GraphQLResponse, type TestService } from '../helpers/test-service.js'
import { uploadMultipart, waitForUpload } from '../helpers/uploads.js'

// Rule exceptions over the real service (HTTP, Postgres, Redis, a BullMQ worker): an upload whose
// events meet an exception gives no detection for them while the other events still detect; shared
// exceptions apply to every rule, expired ones to none; bad input gets an error naming the entry;
// only the roles that change rules change exceptions; every change is in the audit log; another
// tenant sees and changes none of them. Each upload goes to a tenant of its own (the same events
// uploaded twice to one tenant are stored once).

const SYSMON = readFixture('logs/sysmon/ngrok-synthetic.xml')

/** A second rule over the same events (ngrok by host and user), so shared exceptions have two rules to apply to. */
const PROBE_RULE_YAML = [
  'name: Ngrok Hosts',
  'id: 5f3c9c1e-8a57-4c52-9a0e-4d2b7f1e6a01',
  'version: 1',
  'type: Hunting',
  'description: every host and user running ngrok',
  "search: '| tstats count min(_time) as firstTime max(_time) as lastTime from datamodel=Endpoint.Processes where Processes.process_name=ngrok.exe by Processes.dest Processes.user | `drop_dm_object_name(Processes)` | `ngrok_hosts_filter`'",
  'tags:',
  '  mitre_attack_id: [T1572]',
].join('\n')

const EXCEPTION_FIELDS = 'id shared rule { id name } entries { field operator values } expiresAt expired comment author authorKeyId updatedBy createdAt updatedAt'
const CREATE = `mutation ($input: RuleExceptionInput!) { createRuleException(input: $input) { ${EXCEPTION_FIELDS} } }`
const UPDATE = `mutation ($id: ID!, $input: RuleExceptionUpdateInput!) { updateRuleException(id: $id, input: $input) { ${EXCEPTION_FIELDS} } }`
const DELETE = 'mutation ($id: ID!) { deleteRuleException(id: $id) }'
const LIST = `query ($ruleId: ID, $includeExpired: Boolean) { ruleExceptions(ruleId: $ruleId, includeExpired: $includeExpired) { ${EXCEPTION_FIELDS} } }`

type Exception = { id: string; shared: boolean; rule: { id: string } | null; entries: { field: string; operator: string; values: string[] }[]; expired: boolean; comment: string; author: string; authorKeyId: string | null; updatedBy: string; expiresAt: string | null }

describe('rule exceptions over the API', () => {
  let svc: TestService

  const gql = <T = any>(key: string, query: string, variables?: Record<string, unknown>): Promise<GraphQLResponse<T>> => graphql<T>(svc.url, key, query, variables)

  /** A tenant with both rules imported; returns its admin key and the rules' ids. */
  async function tenantWithRules(name: string): Promise<{ key: string; ngrok: string; probe: string }> {
    const key = (await createTestTenant(svc.databaseUrl, name)).apiKey
    const res = await gql(key, 'mutation ($y: String!) { importRules(yaml: $y) { rules { id name } errors { message } } }', { y: `${SEED_RULE_YAML}\n---\n${PROBE_RULE_YAML}` })
    expect(res.data.importRules.errors).toEqual([])
    const byName = new Map<string, string>(res.data.importRules.rules.map((r: { id: string; name: string }) => [r.name, r.id]))
    return { key, ngrok: byName.get('Windows Ngrok Reverse Proxy Usage')!, probe: byName.get('Ngrok Hosts')! }
  }

  /** Uploads the ngrok log and returns each rule's detections as `dest/user/process`, sorted. */
  async function detectionsAfterUpload(key: string): Promise<Record<string, string[]>> {
    const upload = (await uploadMultipart(svc.url, key, 'ngrok.xml', SYSMON)).data!.uploadLogs.id
    expect((await waitForUpload(svc.url, key, upload)).status).toBe('SUCCEEDED_WITH_ERRORS')
    const res = await gql(key, '{ detections(first: 100) { edges { node { rule { name } fields } } } }')
    const out: Record<string, string[]> = {}
    for (const { node } of res.data.detections.edges) (out[node.rule.name] ??= []).push([node.fields.dest, node.fields.user, node.fields.process].filter(Boolean).join('/'))
    for (const list of Object.values(out)) list.sort()
    return out
  }

  async function createException(key: string, input: Record<string, unknown>): Promise<Exception> {
    const res = await gql<{ createRuleException: Exception }>(key, CREATE, { input })
    expect(res.errors).toBeUndefined()
    return res.data!.createRuleException
  }

  beforeAll(async () => {
    svc = await startTestService()
  })
  afterAll(async () => {
    await svc?.close()
  })

  it('leaves the excepted events out of an upload’s detections; the other events still detect', async () => {
    const baseline = await tenantWithRules('exceptions-baseline')
    expect(await detectionsAfterUpload(baseline.key)).toEqual({
      'Windows Ngrok Reverse Proxy Usage': [
        'SRV-APP03.corp.example.com/svc_tunnel/NGROK.EXE tcp 3389',
        'WS-ALICE01.corp.example.com/alice/"C:\\Users\\alice\\AppData\\Local\\ngrok\\ngrok.exe" config add-authtoken 2dXkQ7rJwZ9bT4mN8vL1pF6sYc3_5hGaKe7UoRi2WnBq',
        'WS-ALICE01.corp.example.com/alice/ngrok.exe start --all --config C:\\Users\\alice\\AppData\\Local\\ngrok\\ngrok.yml',
        'WS-DEV04.corp.example.com/dave/ngrok.exe http 8080',
      ],
      'Ngrok Hosts': ['SRV-APP03.corp.example.com/svc_tunnel', 'WS-ALICE01.corp.example.com/alice', 'WS-DEV04.corp.example.com/dave'],
    })

    const t = await tenantWithRules('exceptions-applied')
    // Shared: the approved tunnel service account, for every rule (the value in another case).
    const shared = await createException(t.key, { entries: [{ field: 'Processes.user', operator: 'IS', value: 'SVC_TUNNEL' }], comment: 'approved tunnel service account (CHG-1234)' })
    // The ngrok rule only: configuring the authtoken, on alice's workstation (both entries must hold).
    const own = await createException(t.key, {
      ruleId: t.ngrok,
      entries: [
        { field: 'process', operator: 'CONTAINS', value: 'config add-authtoken' },
        { field: 'dest', operator: 'MATCHES', value: 'ws-alice*' },
      ],
      comment: 'setting up the agent is not tunnelling',
    })
    // Expired before the upload: not applied.
    const expired = await createException(t.key, { entries: [{ field: 'user', operator: 'IS_ONE_OF', values: ['dave', 'erin'] }], expiresAt: '2026-01-01T00:00:00Z', comment: 'was a pentest window' })
    // Entries that meet no event of this log: the right process on another host, a value nobody has.
    await createException(t.key, { ruleId: t.ngrok, entries: [{ field: 'process', operator: 'CONTAINS', value: 'config add-authtoken' }, { field: 'dest', operator: 'IS', value: 'ws-dev04' }], comment: 'not alice' })
    await createException(t.key, { entries: [{ field: 'original_file_name', operator: 'IS', value: 'ngrok-signed.exe' }], comment: 'no event has it' })
    expect([shared.shared, shared.rule, own.shared, own.rule?.id, expired.expired]).toEqual([true, null, false, t.ngrok, true])

    expect(await detectionsAfterUpload(t.key)).toEqual({
      'Windows Ngrok Reverse Proxy Usage': ['WS-ALICE01.corp.example.com/alice/ngrok.exe start --all --config C:\\Users\\alice\\AppData\\Local\\ngrok\\ngrok.yml', 'WS-DEV04.corp.example.com/dave/ngrok.exe http 8080'],
      'Ngrok Hosts': ['WS-ALICE01.corp.example.com/alice', 'WS-DEV04.corp.example.com/dave'],
    })
    // alice's group in the probe rule still counts every one of her events (the add-authtoken one
    // included): the ngrok rule's own exception is not the probe rule's.
    const aliceCount = async (key: string, ruleId: string) =>
      (await gql(key, `{ detections(filter: { ruleId: "${ruleId}", user: "alice" }) { edges { node { count } } } }`)).data.detections.edges.map((e: any) => e.node.count)
    expect(await aliceCount(t.key, t.probe)).toEqual(await aliceCount(baseline.key, baseline.probe))
    expect((await aliceCount(t.key, t.probe))[0]).toBeGreaterThanOrEqual(2)

    // Rule.exceptions: the rule's own and the shared ones that apply now; ruleExceptions can add expired ones.
    const rules = await gql(t.key, `{ ngrok: rule(id: "${t.ngrok}") { exceptions { comment } } probe: rule(id: "${t.probe}") { exceptions { comment } } }`)
    expect(rules.data.ngrok.exceptions.map((e: any) => e.comment).sort()).toEqual(['approved tunnel service account (CHG-1234)', 'no event has it', 'not alice', 'setting up the agent is not tunnelling'])
    expect(rules.data.probe.exceptions.map((e: any) => e.comment).sort()).toEqual(['approved tunnel service account (CHG-1234)', 'no event has it'])
    const forProbe = await gql(t.key, LIST, { ruleId: t.probe, includeExpired: true })
    expect(forProbe.data.ruleExceptions.map((e: Exception) => [e.comment, e.expired])).toEqual([
      ['no event has it', false],
      ['was a pentest window', true],
      ['approved tunnel service account (CHG-1234)', false],
    ])
    expect((await gql(t.key, LIST)).data.ruleExceptions).toHaveLength(4)
  })

  it('answers bad input with an error that names the entry and what would do', async () => {
    const t = await tenantWithRules('exceptions-validation')
    const error = async (input: Record<string, unknown>) => (await gql(t.key, CREATE, { input })).errors?.[0]
    const unknownField = await error({ entries: [{ field: 'user', operator: 'IS', value: 'a' }, { field: 'proces_name', operator: 'IS', value: 'a' }], comment: 'x' })
    expect(unknownField?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.entries[1].field' })
    expect(unknownField?.message).toMatch(/^input\.entries\[1\]\.field: unknown field "proces_name"; .*action, dest, .*process_name, .*vendor_product$/)
    expect((await error({ entries: [{ field: 'user', operator: 'IS', values: ['a', 'b'] }], comment: 'x' }))?.message).toBe('input.entries[0].values: IS takes one value: send `value` (IS_ONE_OF takes a list)')
    expect((await error({ entries: [{ field: 'user', operator: 'IS_ONE_OF', values: Array.from({ length: 1001 }, (_, i) => `u${i}`) }], comment: 'x' }))?.message).toBe('input.entries[0].values: at most 1000 values (got 1001)')
    expect((await error({ entries: [{ field: 'process', operator: 'CONTAINS', value: 'x'.repeat(4097) }], comment: 'x' }))?.message).toBe('input.entries[0].value: at most 4096 characters (got 4097)')
    expect((await error({ entries: [], comment: 'x' }))?.message).toBe('input.entries: an exception needs at least one entry')
    expect((await error({ entries: [{ field: 'user', operator: 'IS', value: 'a' }], comment: '  ' }))?.message).toBe('input.comment: must not be empty; say why these events are excepted')
    expect((await error({ entries: [{ field: 'user', operator: 'IS', value: 'a' }], comment: 'c'.repeat(2001) }))?.message).toBe('input.comment: at most 2000 characters (got 2001)')
    const unknownRule = await error({ ruleId: '00000000-0000-4000-8000-000000000009', entries: [{ field: 'user', operator: 'IS', value: 'a' }], comment: 'x' })
    expect(unknownRule?.extensions?.code).toBe('NOT_FOUND')
    expect((await error({ entries: [{ field: 'user', operator: 'EQUALS', value: 'a' }], comment: 'x' }))?.extensions?.code).toBe('BAD_USER_INPUT')
    const created = await createException(t.key, { entries: [{ field: 'user', operator: 'IS', value: 'a' }], comment: 'x' })
    const badUpdate = await gql(t.key, UPDATE, { id: created.id, input: { entries: [{ field: 'user', operator: 'MATCHES' }] } })
    expect(badUpdate.errors?.[0]?.message).toBe('input.entries[0].value: MATCHES needs a value')
    expect((await gql(t.key, UPDATE, { id: 'nope', input: { comment: 'y' } })).errors?.[0]?.extensions?.code).toBe('NOT_FOUND')
    expect((await gql(t.key, LIST, { ruleId: '00000000-0000-4000-8000-000000000009' })).errors?.[0]?.extensions?.code).toBe('NOT_FOUND')
    // Nothing was stored by the refused calls.
    expect((await gql(t.key, LIST)).data.ruleExceptions.map((e: Exception) => e.id)).toEqual([created.id])
  })

  it('lets analyst and admin keys change exceptions, readers only read them, and audits every change', async () => {
    const t = await tenantWithRules('exceptions-roles')
    const newKey = async (name: string, role: string) => (await gql(t.key, 'mutation ($n: String!, $r: ApiKeyRole!) { createApiKey(name: $n, role: $r) { key apiKey { id } } }', { n: name, r: role })).data.createApiKey
    const carol = await newKey('carol', 'analyst')
    const reader = await newKey('dashboard', 'reader')
    const ingest = await newKey('shipper', 'ingest')

    const made = await createException(carol.key, { ruleId: t.ngrok, entries: [{ field: 'user', operator: 'IS_ONE_OF', values: ['secret-user-1', 'secret-user-2'] }, { field: 'dest', operator: 'IS', value: 'lab' }], expiresAt: '2030-01-01T00:00:00Z', comment: 'lab users' })
    expect(made).toMatchObject({ author: 'carol', authorKeyId: carol.apiKey.id, updatedBy: 'carol', expiresAt: '2030-01-01T00:00:00.000Z', expired: false })
    const changed = (await gql(t.key, UPDATE, { id: made.id, input: { expiresAt: null, entries: [{ field: 'user', operator: 'CONTAINS', value: 'secret-user' }] } })).data.updateRuleException
    expect(changed).toMatchObject({ author: 'carol', updatedBy: 'initial admin key', expiresAt: null, comment: 'lab users', entries: [{ field: 'user', operator: 'CONTAINS', values: ['secret-user'] }] })

    expect((await gql(reader.key, CREATE, { input: { entries: [{ field: 'user', operator: 'IS', value: 'a' }], comment: 'x' } })).errors?.[0]?.extensions?.code).toBe('FORBIDDEN')
    expect((await gql(reader.key, DELETE, { id: made.id })).errors?.[0]?.extensions?.code).toBe('FORBIDDEN')
    expect((await gql(reader.key, LIST)).data.ruleExceptions.map((e: Exception) => e.id)).toEqual([made.id])
    expect((await gql(ingest.key, LIST)).errors?.[0]?.extensions?.code).toBe('FORBIDDEN')
    await gql(carol.key, CREATE, { input: { entries: [{ field: 'usr', operator: 'IS', value: 'secret-user-3' }], comment: 'typo' } })
    expect((await gql(carol.key, DELETE, { id: made.id })).data.deleteRuleException).toBe(made.id)
    expect((await gql(t.key, LIST, { includeExpired: true })).data.ruleExceptions).toEqual([])

    const log = await gql(t.key, '{ auditLog(first: 50) { edges { node { operation actorKeyId actorRole outcome summary } } } }')
    const events = log.data.auditLog.edges.map((e: any) => e.node).filter((e: any) => e.operation.includes('RuleException')).reverse()
    expect(events).toEqual([
      {
        operation: 'createRuleException',
        actorKeyId: carol.apiKey.id,
        actorRole: 'analyst',
        outcome: 'SUCCESS',
        summary: {
          id: made.id,
          ruleId: t.ngrok,
          entries: [
            { field: 'user', operator: 'IS_ONE_OF', values: 2 },
            { field: 'dest', operator: 'IS', values: 1 },
          ],
          entryCount: 2,
          expiresAt: '2030-01-01T00:00:00.000Z',
          commentLength: 9,
        },
      },
      {
        operation: 'updateRuleException',
        actorKeyId: expect.any(String),
        actorRole: 'admin',
        outcome: 'SUCCESS',
        summary: { id: made.id, ruleId: t.ngrok, entries: [{ field: 'user', operator: 'CONTAINS', values: 1 }], entryCount: 1, expiresAt: null },
      },
      { operation: 'createRuleException', actorKeyId: reader.apiKey.id, actorRole: 'reader', outcome: 'FORBIDDEN', summary: { entries: [{ field: 'user', operator: 'IS', values: 1 }], entryCount: 1, commentLength: 1 } },
      { operation: 'deleteRuleException', actorKeyId: reader.apiKey.id, actorRole: 'reader', outcome: 'FORBIDDEN', summary: { id: made.id } },
      { operation: 'createRuleException', actorKeyId: carol.apiKey.id, actorRole: 'analyst', outcome: 'BAD_USER_INPUT', summary: { entries: [{ field: 'usr', operator: 'IS', values: 1 }], entryCount: 1, commentLength: 4 } },
      { operation: 'deleteRuleException', actorKeyId: carol.apiKey.id, actorRole: 'analyst', outcome: 'SUCCESS', summary: { id: made.id } },
    ])
    // Values and comments are never kept.
    expect(JSON.stringify(events)).not.toMatch(/secret-user|lab users|typo/)
  })

  it('keeps each tenant’s exceptions to itself', async () => {
    const a = await tenantWithRules('exceptions-tenant-a')
    const b = await tenantWithRules('exceptions-tenant-b')
    const aShared = await createException(a.key, { entries: [{ field: 'user', operator: 'IS', value: 'dave' }], comment: 'a only' })
    const aOwn = await createException(a.key, { ruleId: a.ngrok, entries: [{ field: 'user', operator: 'IS', value: 'alice' }], comment: 'a only' })
    expect((await gql(b.key, LIST, { includeExpired: true })).data.ruleExceptions).toEqual([])
    expect((await gql(b.key, `{ rule(id: "${b.ngrok}") { exceptions { id } } }`)).data.rule.exceptions).toEqual([])
    expect((await gql(b.key, LIST, { ruleId: a.ngrok })).errors?.[0]?.extensions?.code).toBe('NOT_FOUND')
    expect((await gql(b.key, CREATE, { input: { ruleId: a.ngrok, entries: [{ field: 'user', operator: 'IS', value: 'x' }], comment: 'x' } })).errors?.[0]?.extensions?.code).toBe('NOT_FOUND')
    for (const id of [aShared.id, aOwn.id]) {
      expect((await gql(b.key, UPDATE, { id, input: { comment: 'b was here' } })).errors?.[0]?.extensions?.code).toBe('NOT_FOUND')
      expect((await gql(b.key, DELETE, { id })).errors?.[0]?.extensions?.code).toBe('NOT_FOUND')
    }
    // B's upload is not touched by A's shared exception: dave still detects in B.
    expect((await detectionsAfterUpload(b.key))['Ngrok Hosts']).toContain('WS-DEV04.corp.example.com/dave')
    expect((await gql(a.key, LIST)).data.ruleExceptions.map((e: Exception) => e.comment)).toEqual(['a only', 'a only'])
  })
})
