import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { answerValue, parseRuleDocuments, planDrilldown, renderDrilldown, renderTokens } from '../../../src/detection/index.js'

// Drilldown searches as ES fills them for a notable, and which of ESCU's two kinds each is.

const SEED = parseRuleDocuments(readFileSync(new URL('../../../src/rules/escu/windows_ngrok_reverse_proxy_usage.yml', import.meta.url), 'utf8')).rules[0]!
const ROW = { fields: { user: 'dave', dest: 'WS-DEV04.corp.example.com', process: 'ngrok.exe http 8080' }, firstTime: 1773669909123, lastTime: 1773669910000 }

describe('renderTokens', () => {
  it('replaces each $name$ that has a value by the value as it is, and keeps and reports the others once', () => {
    const values = new Map([['user', 'a "quoted" $user$'], ['dest', 'h']])
    expect(renderTokens('$user$ on $dest$, $dest$ $nope$ $nope$ $not a token$ $$', values)).toEqual({
      text: 'a "quoted" $user$ on h, h $nope$ $nope$ $not a token$ $$',
      unresolved: ['$nope$'],
    })
  })
})

describe('renderDrilldown', () => {
  it("fills ESCU's two drilldowns of the seed rule with a detection's values and times in epoch seconds", () => {
    const [results, risk] = SEED.drilldowns.map((d) => renderDrilldown(d, ROW))
    expect(results).toMatchObject({
      name: 'View the detection results for - "dave" and "WS-DEV04.corp.example.com"',
      search: '%original_detection_search% | search  user = "dave" dest = "WS-DEV04.corp.example.com"',
      earliestOffset: '1773669909.123',
      latestOffset: '1773669910',
      unresolvedTokens: [],
      plan: { kind: 'DETECTION_RESULTS', filters: [{ name: 'user', field: 'user', template: '$user$' }, { name: 'dest', field: 'dest', template: '$dest$' }] },
    })
    expect(risk!.search).toContain('normalized_risk_object IN ("dave", "WS-DEV04.corp.example.com") starthoursago=168')
    expect(risk!.plan).toEqual({ kind: 'RISK_EVENTS', objects: ['$user$', '$dest$'], hours: 168 })
  })

  it('leaves a token without a value as written, lists it, and gives its plan values no answer', () => {
    const rendered = renderDrilldown(SEED.drilldowns[0]!, { fields: { user: 'dave' }, firstTime: null, lastTime: null })
    expect(rendered.search).toBe('%original_detection_search% | search  user = "dave" dest = "$dest$"')
    expect(rendered.unresolvedTokens).toEqual(['$dest$', '$info_min_time$', '$info_max_time$'])
    expect(answerValue('$user$', rendered.values)).toBe('dave')
    expect(answerValue('$dest$', rendered.values)).toBeNull()
  })
})

describe('planDrilldown', () => {
  it.each([
    ['%original_detection_search% | search  dest = "$dest$"', { kind: 'DETECTION_RESULTS', filters: [{ name: 'dest', field: 'dest', template: '$dest$' }] }],
    ['%original_detection_search% | search dest=$dest$ Processes.user="a \\"b\\"" | stats count', { kind: 'DETECTION_RESULTS', filters: [{ name: 'dest', field: 'dest', template: '$dest$' }, { name: 'Processes.user', field: null, template: 'a "b"' }] }],
    ['| from datamodel Risk.All_Risk | search normalized_risk_object IN ("$dest$", "$user$")', { kind: 'RISK_EVENTS', objects: ['$dest$', '$user$'], hours: 168 }],
    ['| from datamodel Risk.All_Risk | search normalized_risk_object="$user$" starthoursago=24 endhoursago=1', { kind: 'RISK_EVENTS', objects: ['$user$'], hours: 24 }],
    ['index=main host="$dest$"', { kind: 'OTHER' }],
    ['| tstats count from datamodel=Endpoint.Processes by Processes.dest', { kind: 'OTHER' }],
  ])('%s', (search, plan) => {
    expect(planDrilldown(search)).toEqual(plan)
  })
})
