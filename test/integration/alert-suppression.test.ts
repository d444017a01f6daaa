import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readFixture, SEED_RULE_YAML } from '../helpers/fixtures.js'
import { createTestTenant } from '../helpers/tenant.js'
import { graphql, startTestService, waitFor, type TestService } from '../helpers/test-service.js'
import { uploadMultipart, waitForUpload } from '../helpers/uploads.js'

// A rule's alert suppression and cap on new detections per run, over the real API and worker.
// The ngrok fixture makes 4 detections of the seed rule (rows A–D of test/fixtures/logs/README.md).

const SYSMON = readFixture('logs/sysmon/ngrok-synthetic.xml')
const LIST = `query ($all: Boolean) { detections(first: 50, filter: { includeSuppressed: $all }) { totalCount edges { node {
  id count firstSeen fields suppressedInto suppressedDetections suppressedCount } } } }`

type Node = { id: string; count: number; firstSeen: string; fields: Record<string, string>; suppressedInto: string | null; suppressedDetections: number; suppressedCount: number }
type List = { detections: { totalCount: number; edges: { node: Node }[] } }

describe('alert suppression and the cap on detections per run', () => {
  let svc: TestService
  beforeAll(async () => {
    svc = await startTestService()
  })
  afterAll(async () => {
    await svc?.close()
  })

  async function tenantWithRule(name: string) {
    const key = (await createTestTenant(svc.databaseUrl, name)).apiKey
    const res = await graphql<{ importRules: { rules: { id: string }[] } }>(svc.url, key, 'mutation ($y: String!) { importRules(yaml: $y) { rules { id } } }', { y: SEED_RULE_YAML })
    return { key, ruleId: res.data!.importRules.rules[0]!.id }
  }
  const setAlerting = (key: string, id: string, input: Record<string, unknown>) =>
    graphql<{ setRuleAlerting: { alerting: unknown } }>(svc.url, key, 'mutation ($id: ID!, $i: RuleAlertingInput!) { setRuleAlerting(id: $id, input: $i) { alerting { suppressBy suppressWindow maxDetectionsPerRun } } }', { id, i: input })
  async function upload(key: string) {
    const sent = await uploadMultipart(svc.url, key, 'ngrok.xml', SYSMON)
    return waitForUpload(svc.url, key, sent.data!.uploadLogs.id)
  }

  it('suppresses later detections with the same field values within the window into the first, keeping and counting them', async () => {
    const { key, ruleId } = await tenantWithRule('suppress')
    // Every row of the fixture has the same action: with a 30-day window, one alert stands for all.
    const set = await setAlerting(key, ruleId, { suppressBy: ['action'], suppressWindow: '30d' })
    expect(set.data!.setRuleAlerting.alerting).toEqual({ suppressBy: ['action'], suppressWindow: '30d', maxDetectionsPerRun: null })
    await upload(key)
    const all = (await graphql<List>(svc.url, key, LIST, { all: true })).data!.detections.edges.map((e) => e.node)
    expect(all).toHaveLength(4)
    const first = [...all].sort((a, b) => a.firstSeen.localeCompare(b.firstSeen))[0]!
    const others = all.filter((d) => d.id !== first.id)
    expect(others.every((d) => d.suppressedInto === first.id)).toBe(true)
    // explainDetection answers with the same Detection, suppression included.
    const explained = await graphql<{ explainDetection: { detection: { id: string; suppressedInto: string | null } } }>(svc.url, key, 'query ($id: ID!) { explainDetection(id: $id) { detection { id suppressedInto } } }', { id: others[0]!.id })
    expect(explained.data!.explainDetection.detection).toEqual({ id: others[0]!.id, suppressedInto: first.id })
    const shown = (await graphql<List>(svc.url, key, LIST, {})).data!.detections
    expect(shown.totalCount).toBe(1)
    expect(shown.edges[0]!.node).toMatchObject({ id: first.id, suppressedInto: null, suppressedDetections: 3, suppressedCount: others.reduce((n, d) => n + d.count, 0) })
  })

  it('does not suppress across different values or outside the window', async () => {
    const { key, ruleId } = await tenantWithRule('suppress-dest')
    // Each row is on its own host (dest): nothing shares a value, nothing is suppressed.
    await setAlerting(key, ruleId, { suppressBy: ['dest'], suppressWindow: '30d' })
    await upload(key)
    const all = (await graphql<List>(svc.url, key, LIST, { all: true })).data!.detections.edges.map((e) => e.node)
    const byDest = new Map<string, number>()
    for (const d of all) byDest.set(d.fields.dest!, (byDest.get(d.fields.dest!) ?? 0) + 1)
    const suppressed = all.filter((d) => d.suppressedInto !== null).length
    expect(suppressed).toBe([...byDest.values()].reduce((n, c) => n + c - 1, 0))
    const { key: k2, ruleId: r2 } = await tenantWithRule('suppress-short')
    // A one-minute window: the fixture's rows are minutes apart, so each stands alone.
    await setAlerting(k2, r2, { suppressBy: ['action'], suppressWindow: '1m' })
    await upload(k2)
    const times = (await graphql<List>(svc.url, k2, LIST, { all: true })).data!.detections.edges.map((e) => Date.parse(e.node.firstSeen)).sort()
    const expectedSuppressed = times.filter((t, i) => i > 0 && times.slice(0, i).some((p) => t - p < 60_000)).length
    expect((await graphql<List>(svc.url, k2, LIST, {})).data!.detections.totalCount).toBe(4 - expectedSuppressed)
  })

  it('caps new detections per run, reports the overflow, and a rescan with a higher cap writes them', async () => {
    const { key, ruleId } = await tenantWithRule('cap')
    await setAlerting(key, ruleId, { maxDetectionsPerRun: 2 })
    const done = await upload(key)
    const up = await graphql<{ upload: { detectionsOverflow: Record<string, number>; detectionRows: number } }>(svc.url, key, 'query ($id: ID!) { upload(id: $id) { detectionsOverflow detectionRows } }', { id: done.id })
    expect(up.data!.upload).toEqual({ detectionsOverflow: { [ruleId]: 2 }, detectionRows: 2 })
    expect((await graphql<List>(svc.url, key, LIST, {})).data!.detections.totalCount).toBe(2)
    await setAlerting(key, ruleId, { maxDetectionsPerRun: 10 })
    const res = await graphql<{ rescanUpload: { id: string } }>(svc.url, key, 'mutation ($u: ID!) { rescanUpload(uploadId: $u) { id } }', { u: done.id })
    const scan = await waitFor(async () => {
      const s = await graphql<{ scan: { status: string; rules: { overflow: number }[] } }>(svc.url, key, 'query ($id: ID!) { scan(id: $id) { status rules { overflow } } }', { id: res.data!.rescanUpload.id })
      return s.data?.scan.status === 'SUCCEEDED' ? s.data.scan : undefined
    }, 30_000, 'the rescan')
    expect(scan.rules[0]!.overflow).toBe(0)
    expect((await graphql<List>(svc.url, key, LIST, {})).data!.detections.totalCount).toBe(4)
  })

  it('refuses settings it cannot apply, naming the field and the rule’s BY fields', async () => {
    const { key, ruleId } = await tenantWithRule('bad-settings')
    const cases: [Record<string, unknown>, string, RegExp][] = [
      [{ suppressBy: ['nosuchfield'], suppressWindow: '1h' }, 'suppressBy', /nosuchfield is not a BY field.*action, dest/],
      [{ suppressBy: ['dest'] }, 'suppressWindow', /required/],
      [{ suppressBy: ['dest'], suppressWindow: '10s' }, 'suppressWindow', /outside/],
      [{ suppressBy: ['dest'], suppressWindow: 'soon' }, 'suppressWindow', /not a duration/],
      [{ suppressBy: ['action', 'dest', 'user', 'process'], suppressWindow: '1h' }, 'suppressBy', /at most 3/],
      [{ suppressWindow: '1h' }, 'suppressWindow', /without suppressBy/],
      [{ maxDetectionsPerRun: 0 }, 'maxDetectionsPerRun', /1 \.\. 1,000,000/],
    ]
    for (const [input, field, message] of cases) {
      const res = await setAlerting(key, ruleId, input)
      expect(res.errors?.[0]?.extensions, JSON.stringify(input)).toMatchObject({ code: 'BAD_USER_INPUT', field })
      expect(res.errors?.[0]?.message).toMatch(message)
    }
  })
})
