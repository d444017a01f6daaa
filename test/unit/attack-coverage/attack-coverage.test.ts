import { describe, expect, it } from 'vitest'
import { buildAttackCoverage, type CoverageRuleInput } from '../../../src/attack-coverage/coverage-matrix.js'
import { navigatorLayer } from '../../../src/attack-coverage/navigator-layer.js'
import { ATTACK_TACTICS, lookupTechniques, techniqueTacticPairs } from '../../../src/detection/index.js'
import { ENTERPRISE_PLATFORMS, layerFormatProblems } from '../../helpers/navigator-layer-format.js'

const rule = (id: string, name: string, enabled: boolean, mitreAttackIds: string[]): CoverageRuleInput => ({ id, escuId: `escu-${id}`, name, enabled, mitreAttackIds })
const RULES = [
  rule('a', 'PowerShell DownloadString', true, ['T1059', 'T1059.001', 'T1105']),
  rule('b', 'LSASS dump', false, ['T1003.001']),
  rule('c', 'Ngrok', true, ['T1572', 'T9999']),
  rule('d', 'Untagged', true, []),
]
const LAST = new Date('2026-03-16T14:05:10.000Z')
const STATS = new Map([
  ['a', { count: 3, lastTime: LAST }],
  ['b', { count: 2, lastTime: new Date('2026-03-01T00:00:00.000Z') }],
  ['c', { count: 1, lastTime: new Date('2026-03-10T00:00:00.000Z') }],
])

describe('ATT&CK tactics table', () => {
  it('holds every tactic the technique table names, once, in matrix order', () => {
    const named = new Set(techniqueTacticPairs().tactics)
    expect([...named].filter((n) => !ATTACK_TACTICS.some((t) => t.name === n))).toEqual([])
    expect(ATTACK_TACTICS.map((t) => t.shortName)).toEqual([
      'reconnaissance', 'resource-development', 'initial-access', 'execution', 'persistence', 'privilege-escalation', 'defense-evasion',
      'credential-access', 'discovery', 'lateral-movement', 'collection', 'command-and-control', 'exfiltration', 'impact',
    ])
    expect(new Set(ATTACK_TACTICS.map((t) => t.id)).size).toBe(14)
  })
})

describe('ATT&CK coverage matrix', () => {
  const coverage = buildAttackCoverage(RULES, STATS, { includeUncovered: false })
  const tactic = (shortName: string) => coverage.tactics.find((t) => t.shortName === shortName)!

  it('places each technique under its tactics with its rules, enabled rule count and detections', () => {
    expect(coverage.tactics.map((t) => t.id)).toEqual(ATTACK_TACTICS.map((t) => t.id))
    const execution = tactic('execution')
    expect(execution.techniques.map((t) => t.id)).toEqual(['T1059', 'T1059.001'])
    expect(execution.techniques[1]).toEqual({
      id: 'T1059.001',
      name: 'PowerShell',
      parentId: 'T1059',
      tactics: ['Execution'],
      enabledRuleCount: 1,
      rules: [{ id: 'a', escuId: 'escu-a', name: 'PowerShell DownloadString', enabled: true }],
      detectionCount: 3,
      lastDetectionTime: LAST,
    })
    expect(execution).toMatchObject({ id: 'TA0002', name: 'Execution', coveredTechniqueCount: 2, enabledRuleCount: 1, detectionCount: 3 })
    expect(tactic('command-and-control').techniques.map((t) => [t.id, t.detectionCount])).toEqual([
      ['T1105', 3],
      ['T1572', 1],
    ])
  })

  it('lists a technique whose rules are all disabled, as not covered', () => {
    const credential = tactic('credential-access')
    expect(credential.techniques.map((t) => [t.id, t.enabledRuleCount, t.rules.map((r) => r.enabled), t.detectionCount])).toEqual([['T1003.001', 0, [false], 2]])
    expect(credential.coveredTechniqueCount).toBe(0)
    expect(credential.enabledRuleCount).toBe(0)
  })

  it('keeps ids the ATT&CK table does not know apart, and counts covered techniques once', () => {
    expect(coverage.unmappedTechniques.map((t) => t.id)).toEqual(['T9999'])
    // T1059, T1059.001, T1105, T1572 (T1003.001 has no enabled rule; T9999 has no tactic).
    expect(coverage.coveredTechniqueCount).toBe(4)
    expect(coverage.enabledRuleCount).toBe(2)
  })

  it('lists every technique of a tactic with includeUncovered', () => {
    const full = buildAttackCoverage(RULES, STATS, { includeUncovered: true })
    for (const t of full.tactics) expect(t.techniques).toHaveLength(t.techniqueCount)
    const execution = full.tactics.find((t) => t.shortName === 'execution')!
    expect(execution.techniqueCount).toBeGreaterThan(20)
    expect(execution.techniques.find((t) => t.id === 'T1047')).toMatchObject({ enabledRuleCount: 0, rules: [], detectionCount: 0, lastDetectionTime: null })
  })
})

describe('ATT&CK Navigator layer', () => {
  const layer = navigatorLayer(buildAttackCoverage(RULES, STATS, { includeUncovered: false }), { tenantName: 'acme', generatedAt: new Date('2026-04-01T00:00:00Z') })
  const entry = (id: string, tactic: string) => layer.techniques.find((t) => t.techniqueID === id && t.tactic === tactic)

  it('passes the documented field check of the layer format 4.5', () => {
    expect(layerFormatProblems(JSON.parse(JSON.stringify(layer)))).toEqual([])
    expect(layer).toMatchObject({ domain: 'enterprise-attack', versions: { attack: '18', layer: '4.5' } })
    expect(layer.filters.platforms.every((p) => ENTERPRISE_PLATFORMS.includes(p))).toBe(true)
  })

  it('names only tactics a technique belongs to, by ATT&CK short name', () => {
    for (const t of layer.techniques) {
      const [known] = lookupTechniques([t.techniqueID])
      expect(known!.tactics.map((n) => n.toLowerCase().replaceAll(' ', '-')), t.techniqueID).toContain(t.tactic)
    }
  })

  it('scores by enabled rules, greys techniques whose rules are all disabled, and leaves unknown ids out', () => {
    expect(entry('T1059.001', 'execution')).toMatchObject({ score: 1, enabled: true })
    expect(entry('T1059.001', 'execution')!.comment).toBe('Enabled rules: PowerShell DownloadString. 3 detection(s), last 2026-03-16T14:05:10.000Z.')
    expect(entry('T1003.001', 'credential-access')).toMatchObject({ score: 0, color: '#bdbdbd' })
    expect(layer.techniques.some((t) => t.techniqueID === 'T9999')).toBe(false)
    expect(layer.description).toContain('T9999')
    expect(layer.gradient).toEqual({ colors: ['#e5f5e0', '#31a354'], minValue: 0, maxValue: 1 })
  })

  it('expands the parents of annotated sub-techniques, adding an unscored entry where no rule carries the parent', () => {
    expect(entry('T1059', 'execution')).toMatchObject({ score: 1, showSubtechniques: true })
    const t1003 = entry('T1003', 'credential-access')!
    expect(t1003.showSubtechniques).toBe(true)
    expect(t1003.score).toBeUndefined()
    expect(layer.layout.expandedSubtechniques).toBe('annotated')
    expect(layer.techniques.filter((t) => t.showSubtechniques).map((t) => t.techniqueID).sort()).toEqual(['T1003', 'T1059'])
  })

  it('the field check itself catches departures from the format', () => {
    const broken = { ...JSON.parse(JSON.stringify(layer)), name: undefined, versions: { navigator: '4.8.1', layer: '4.4' }, colour: 'red' }
    broken.techniques = [{ techniqueID: 'T59', score: '3', links: [{ label: 'x', url: 'attack.mitre.org' }] }]
    expect(layerFormatProblems(broken)).toEqual([
      'layer.versions.navigator: must be a version of at least "4.9.0"',
      'layer.versions.layer: must be one of 4.5 (is "4.4")',
      'layer.name: required',
      'layer.techniques[0].techniqueID: must be "T####" or "T####.###"',
      'layer.techniques[0].score: must be a number',
      'layer.techniques[0].links[0].url: must be a URL with a protocol (e.g. https://)',
      'layer.colour: not a field of the layer format 4.5',
    ])
  })
})
