import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readFixture } from '../helpers/fixtures.js'
import { layerFormatProblems } from '../helpers/navigator-layer-format.js'
import { createTestTenant } from '../helpers/tenant.js'
import { graphql, startTestService, type TestService } from '../helpers/test-service.js'
import { uploadMultipart, waitForUpload } from '../helpers/uploads.js'

// ATT&CK coverage over real HTTP, Postgres, Redis and the worker: the bundled ESCU rules (one of
// them disabled) and the ngrok fixture's detections, as the mitreCoverage matrix, compared with
// what the rules, detections and mitreTechniques queries say; and as a Navigator layer, checked
// against the documented layer format, the same from GraphQL and GET /v1/exports/attack-layer.

const COVERAGE = `query ($all: Boolean) { mitreCoverage(includeUncovered: $all) { attackVersion coveredTechniqueCount enabledRuleCount
  unmappedTechniques { id }
  tactics { id shortName name techniqueCount coveredTechniqueCount enabledRuleCount detectionCount
    techniques { id name parentId tactics enabledRuleCount detectionCount lastDetectionTime rules { id escuId name enabled } } } } }`

interface TechniqueCoverage {
  id: string
  name: string
  parentId: string | null
  tactics: string[]
  enabledRuleCount: number
  detectionCount: number
  lastDetectionTime: string | null
  rules: { id: string; escuId: string; name: string; enabled: boolean }[]
}
interface Coverage {
  attackVersion: string
  coveredTechniqueCount: number
  enabledRuleCount: number
  unmappedTechniques: { id: string }[]
  tactics: { id: string; shortName: string; name: string; techniqueCount: number; coveredTechniqueCount: number; enabledRuleCount: number; detectionCount: number; techniques: TechniqueCoverage[] }[]
}

let svc: TestService
let keyA: string
let keyB: string
let rules: { id: string; name: string; enabled: boolean; mitre: { id: string }[] }[]
let detections: { id: string; rule: { id: string }; lastSeen: string }[]
let coverage: Coverage

const gql = <T = any>(key: string, query: string, variables?: Record<string, unknown>) => graphql<T>(svc.url, key, query, variables)

beforeAll(async () => {
  svc = await startTestService()
  keyA = (await createTestTenant(svc.databaseUrl, 'cov-a')).apiKey
  keyB = (await createTestTenant(svc.databaseUrl, 'cov-b')).apiKey
  const enabled = await gql(keyA, 'mutation { enableBundledRules { id name } }')
  expect(enabled.errors).toBeUndefined()
  const lsass = (enabled.data as any).enableBundledRules.find((r: { name: string }) => r.name === 'Dump LSASS via comsvcs DLL')
  expect((await gql(keyA, `mutation { setRuleEnabled(id: "${lsass.id}", enabled: false) { id } }`)).errors).toBeUndefined()
  const upload = (await uploadMultipart(svc.url, keyA, 'ngrok.xml', readFixture('logs/sysmon/ngrok-synthetic.xml'))).data!.uploadLogs.id
  await waitForUpload(svc.url, keyA, upload)
  rules = (await gql(keyA, '{ rules { id name enabled mitre { id } } }')).data.rules
  detections = (await gql(keyA, '{ detections(first: 200) { edges { node { id rule { id } lastSeen } } } }')).data.detections.edges.map((e: any) => e.node)
  const res = await gql<{ mitreCoverage: Coverage }>(keyA, COVERAGE, { all: false })
  expect(res.errors).toBeUndefined()
  coverage = res.data!.mitreCoverage
})
afterAll(async () => {
  await svc?.close()
})

const technique = (tactic: string, id: string) => coverage.tactics.find((t) => t.shortName === tactic)!.techniques.find((t) => t.id === id)

describe('mitreCoverage', () => {
  it('lays out the 14 tactics of ATT&CK Enterprise in matrix order', () => {
    expect(coverage.attackVersion).toBe('ATT&CK Enterprise v18.0')
    expect(coverage.tactics.map((t) => t.id)).toEqual(['TA0043', 'TA0042', 'TA0001', 'TA0002', 'TA0003', 'TA0004', 'TA0005', 'TA0006', 'TA0007', 'TA0008', 'TA0009', 'TA0011', 'TA0010', 'TA0040'])
    expect(coverage.tactics[11]).toMatchObject({ shortName: 'command-and-control', name: 'Command And Control' })
    expect(coverage.unmappedTechniques).toEqual([])
  })

  it('agrees with the rules and detections queries, technique by technique', () => {
    expect(detections.length).toBeGreaterThanOrEqual(4)
    const carrying = new Map<string, typeof rules>()
    for (const r of rules) for (const m of r.mitre) carrying.set(m.id, [...(carrying.get(m.id) ?? []), r])
    const listed = coverage.tactics.flatMap((t) => t.techniques)
    expect(new Set(listed.map((t) => t.id))).toEqual(new Set(carrying.keys()))
    for (const t of listed) {
      const withIt = carrying.get(t.id)!
      const ofRules = detections.filter((d) => withIt.some((r) => r.id === d.rule.id))
      expect(t.rules.map((r) => r.id).sort(), t.id).toEqual(withIt.map((r) => r.id).sort())
      expect(t.enabledRuleCount, t.id).toBe(withIt.filter((r) => r.enabled).length)
      expect(t.detectionCount, t.id).toBe(ofRules.length)
      expect(t.lastDetectionTime, t.id).toBe(ofRules.length ? ofRules.map((d) => d.lastSeen).sort().at(-1) : null)
    }
    expect(coverage.enabledRuleCount).toBe(rules.filter((r) => r.enabled && r.mitre.length > 0).length)
  })

  it('gives the ngrok rule’s techniques its four detections, under Command and Control', () => {
    const t1572 = technique('command-and-control', 'T1572')!
    expect(t1572).toMatchObject({ name: 'Protocol Tunneling', parentId: null, tactics: ['Command And Control'], enabledRuleCount: 1, detectionCount: 4, lastDetectionTime: '2026-03-16T14:05:10.001Z' })
    expect(t1572.rules.map((r) => r.name)).toEqual(['Windows Ngrok Reverse Proxy Usage'])
  })

  it('keeps sub-techniques apart with their parent, and shows a disabled rule as no coverage', () => {
    expect(technique('execution', 'T1059.001')).toMatchObject({ name: 'PowerShell', parentId: 'T1059' })
    const lsass = technique('credential-access', 'T1003.001')!
    expect(lsass).toMatchObject({ enabledRuleCount: 0, rules: [expect.objectContaining({ name: 'Dump LSASS via comsvcs DLL', enabled: false })] })
    // T1003 itself is carried by other, enabled rules too.
    expect(technique('credential-access', 'T1003')!.enabledRuleCount).toBeGreaterThan(0)
  })

  it('matches mitreTechniques (enabled rules) on rule counts', async () => {
    const summary = (await gql(keyA, '{ mitreTechniques { id ruleCount } }')).data.mitreTechniques as { id: string; ruleCount: number }[]
    const listed = new Map(coverage.tactics.flatMap((t) => t.techniques).map((t) => [t.id, t.enabledRuleCount]))
    for (const s of summary) expect(listed.get(s.id), s.id).toBe(s.ruleCount)
  })

  it('lists every technique of every tactic with includeUncovered', async () => {
    const full = (await gql<{ mitreCoverage: Coverage }>(keyA, COVERAGE, { all: true })).data!.mitreCoverage
    for (const t of full.tactics) {
      expect(t.techniques, t.shortName).toHaveLength(t.techniqueCount)
      expect(t.coveredTechniqueCount).toBe(coverage.tactics.find((c) => c.id === t.id)!.coveredTechniqueCount)
    }
  })
})

describe('mitreCoverageLayer and GET /v1/exports/attack-layer', () => {
  it('is a valid Navigator layer 4.5 of the tenant’s techniques, the same over GraphQL and HTTP', async () => {
    const res = await gql(keyA, '{ mitreCoverageLayer }')
    expect(res.errors).toBeUndefined()
    const layer = res.data.mitreCoverageLayer
    expect(layerFormatProblems(layer)).toEqual([])
    const http = await fetch(`${svc.url}/v1/exports/attack-layer`, { headers: { authorization: `Bearer ${keyA}` } })
    expect(http.status).toBe(200)
    expect(http.headers.get('content-disposition')).toMatch(/^attachment; filename="watchpost-attack-layer-\d{4}-\d{2}-\d{2}\.json"$/)
    const fromHttp = (await http.json()) as typeof layer
    expect(layerFormatProblems(fromHttp)).toEqual([])
    expect(fromHttp.techniques).toEqual(layer.techniques)

    // One scored entry per (technique, tactic) pair the matrix lists, scored by enabled rules.
    const scored = layer.techniques.filter((t: any) => t.score !== undefined).map((t: any) => `${t.techniqueID}@${t.tactic}=${t.score}`).sort()
    const matrix = coverage.tactics.flatMap((tactic) => tactic.techniques.map((t) => `${t.id}@${tactic.shortName}=${t.enabledRuleCount}`)).sort()
    expect(scored).toEqual(matrix)
    const t1059 = layer.techniques.find((t: any) => t.techniqueID === 'T1059.001' && t.tactic === 'execution')
    expect(t1059).toMatchObject({ score: 1, enabled: true })
    expect(layer.techniques.find((t: any) => t.techniqueID === 'T1059' && t.tactic === 'execution').showSubtechniques).toBe(true)
    expect(layer.techniques.find((t: any) => t.techniqueID === 'T1003.001')).toMatchObject({ score: 0, color: '#bdbdbd' })
  })

  it('shows another tenant nothing of this one', async () => {
    const b = (await gql<{ mitreCoverage: Coverage }>(keyB, COVERAGE, { all: false })).data!.mitreCoverage
    expect(b.tactics.flatMap((t) => t.techniques)).toEqual([])
    expect(b.coveredTechniqueCount).toBe(0)
    const layer = (await gql(keyB, '{ mitreCoverageLayer }')).data.mitreCoverageLayer
    expect(layer.techniques).toEqual([])
    expect(layerFormatProblems(layer)).toEqual([])
    expect(JSON.stringify(layer)).not.toContain('Ngrok')
  })

  it('is for keys that may read', async () => {
    const ingest = (await gql(keyA, 'mutation { createApiKey(name: "shipper", role: ingest) { key } }')).data.createApiKey.key
    expect((await gql(ingest, '{ mitreCoverageLayer }')).errors?.[0]?.extensions?.code).toBe('FORBIDDEN')
    expect((await gql(ingest, '{ mitreCoverage { coveredTechniqueCount } }')).errors?.[0]?.extensions?.code).toBe('FORBIDDEN')
  })
})
