import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readFixture, SEED_RULE_YAML } from '../helpers/fixtures.js'
import { runCli } from '../helpers/run-cli.js'
import { createTestTenant } from '../helpers/tenant.js'
import { graphql, startTestService, type TestService } from '../helpers/test-service.js'
import { uploadMultipart, waitForUpload } from '../helpers/uploads.js'

// Macros are tenant data: a tenant's `<rule>_filter` macro is its false-positive filter, applied
// after grouping; another tenant's detections are unaffected.

const FILTER = 'name: windows_ngrok_reverse_proxy_usage_filter\ndefinition: search user!=svc_tunnel\ndescription: the tunnel service account is approved\n'

describe('tenant macros', () => {
  let svc: TestService
  let keyA: string
  let keyB: string

  beforeAll(async () => {
    svc = await startTestService()
    keyA = (await createTestTenant(svc.databaseUrl, 'with-filter')).apiKey
    keyB = (await createTestTenant(svc.databaseUrl, 'without-filter')).apiKey
  })
  afterAll(async () => {
    await svc?.close()
  })

  const usersDetected = async (key: string): Promise<string[]> => {
    const up = await uploadMultipart(svc.url, key, 'ngrok.xml', readFixture('logs/sysmon/ngrok-synthetic.xml'))
    expect((await waitForUpload(svc.url, key, up.data!.uploadLogs.id)).status).toBe('SUCCEEDED_WITH_ERRORS')
    const res = await graphql<{ detections: { edges: { node: { fields: { user: string } } }[] } }>(svc.url, key, '{ detections(first: 50) { edges { node { fields } } } }')
    return res.data!.detections.edges.map((e) => e.node.fields.user).sort()
  }

  it('applies a tenant’s filter macro, imported with the rule in one YAML stream, after grouping', async () => {
    const res = await graphql<{ importRules: { rules: unknown[]; macros: string[]; errors: unknown[] } }>(
      svc.url,
      keyA,
      'mutation ($y: String!) { importRules(yaml: $y) { rules { id } macros errors { message } } }',
      { y: `${SEED_RULE_YAML}\n---\n${FILTER}` },
    )
    expect(res.data!.importRules).toMatchObject({ macros: ['windows_ngrok_reverse_proxy_usage_filter'], errors: [] })
    expect(res.data!.importRules.rules).toHaveLength(1)
    expect(await usersDetected(keyA)).toEqual(['alice', 'alice', 'dave'])
  })

  it('leaves other tenants with the default no-op filter', async () => {
    await graphql(svc.url, keyB, 'mutation ($y: String!) { importRules(yaml: $y) { rules { id } } }', { y: SEED_RULE_YAML })
    expect(await usersDetected(keyB)).toEqual(['alice', 'alice', 'dave', 'svc_tunnel'])
  })

  it('refuses a rule whose macro the tenant does not have, naming it', async () => {
    const res = await graphql<{ importRules: { errors: { message: string; field: string }[] } }>(
      svc.url,
      keyA,
      'mutation ($y: String!) { importRules(yaml: $y) { errors { field message } } }',
      { y: SEED_RULE_YAML.replace('Processes.process_name=ngrok.exe', '`process_ngrok`') },
    )
    expect(res.data!.importRules.errors[0]!.field).toBe('search')
    expect(res.data!.importRules.errors[0]!.message).toContain('process_ngrok')
  })
})

const CORPUS = fileURLToPath(new URL('../../../shared/datasets/escu-endpoint-processes/', import.meta.url))

describe.skipIf(!existsSync(CORPUS))('watchpost rules check over the ESCU corpus (../shared)', () => {
  it('compiles all 300 detections with their macros: one ok line per rule, exit 0', async () => {
    const { code, stdout } = await runCli(['rules', 'check', `${CORPUS}detections`, `${CORPUS}macros`])
    const lines = stdout.trim().split('\n')
    expect(lines.filter((l) => l.startsWith('ok '))).toHaveLength(300)
    expect(lines.filter((l) => l.startsWith('error '))).toEqual([])
    expect(lines.at(-1)).toBe('300 rule(s), 40 macro(s), 0 error(s)')
    expect(code).toBe(0)
  })
})
