import type { AttackCoverage, TechniqueCoverage } from './coverage-matrix.js'

/**
 * The coverage as an ATT&CK Navigator layer, format 4.5 (mitre-attack/attack-navigator,
 * layers/LAYERFORMATv4_5.md), which security teams load into MITRE's Navigator: one technique
 * entry per (technique, tactic) pair the tenant's rules carry, scored by its enabled rule count,
 * on a gradient from 0 to the highest count; techniques whose rules are all disabled are grey.
 *
 * Sub-techniques are entries of their own with their "T####.###" id, as the format says. The
 * Navigator shows a sub-technique only under an expanded technique, so the layer expands the
 * annotated ones (layout.expandedSubtechniques "annotated") and sets `showSubtechniques` on the
 * parent's entry, adding an unscored entry for a parent no rule carries.
 */

/** The Navigator version the layer names: the format 4.5 asks for at least 4.9.0. */
export const NAVIGATOR_VERSION = '4.9.0'
export const LAYER_FORMAT_VERSION = '4.5'
const DISABLED_COLOR = '#bdbdbd'
const GRADIENT = ['#e5f5e0', '#31a354']

type LayerEntry = {
  techniqueID: string
  tactic: string
  score?: number
  color?: string
  comment: string
  enabled: boolean
  metadata: ({ name: string; value: string } | { divider: true })[]
  links: { label: string; url: string }[]
  showSubtechniques?: boolean
}

/** https://attack.mitre.org/techniques/T1059/001/ for T1059.001. */
const techniqueUrl = (id: string): string => `https://attack.mitre.org/techniques/${id.replace('.', '/')}/`

function entryOf(t: TechniqueCoverage, tactic: string): LayerEntry {
  const enabled = t.rules.filter((r) => r.enabled).map((r) => r.name)
  const disabled = t.rules.filter((r) => !r.enabled).map((r) => r.name)
  const comment = [
    enabled.length > 0 ? `Enabled rules: ${enabled.join('; ')}.` : 'No enabled rule.',
    disabled.length > 0 ? `Disabled rules: ${disabled.join('; ')}.` : '',
    `${t.detectionCount} detection(s)${t.lastDetectionTime ? `, last ${t.lastDetectionTime.toISOString()}` : ''}.`,
  ]
    .filter(Boolean)
    .join(' ')
  return {
    techniqueID: t.id,
    tactic,
    score: t.enabledRuleCount,
    ...(t.enabledRuleCount === 0 ? { color: DISABLED_COLOR } : {}),
    comment,
    enabled: true,
    metadata: [
      { name: 'enabled rules', value: String(t.enabledRuleCount) },
      { name: 'detections', value: String(t.detectionCount) },
      ...(t.lastDetectionTime ? [{ name: 'last detection', value: t.lastDetectionTime.toISOString() }] : []),
      ...(t.rules.length > 0 ? [{ divider: true as const }] : []),
      ...t.rules.map((r) => ({ name: r.enabled ? 'rule' : 'rule (disabled)', value: r.name })),
    ],
    links: [{ label: `ATT&CK ${t.id}`, url: techniqueUrl(t.id) }],
  }
}

export function navigatorLayer(coverage: AttackCoverage, opts: { tenantName: string; generatedAt: Date }) {
  const entries = new Map<string, LayerEntry>()
  const key = (id: string, tactic: string): string => `${id}@${tactic}`
  for (const tactic of coverage.tactics) {
    for (const t of tactic.techniques) if (t.rules.length > 0) entries.set(key(t.id, tactic.shortName), entryOf(t, tactic.shortName))
  }
  for (const entry of [...entries.values()]) {
    const parent = entry.techniqueID.includes('.') ? entry.techniqueID.slice(0, 5) : null
    if (parent === null) continue
    const parentEntry = entries.get(key(parent, entry.tactic)) ?? {
      techniqueID: parent,
      tactic: entry.tactic,
      comment: 'No rule carries this technique itself; see its sub-techniques.',
      enabled: true,
      metadata: [],
      links: [{ label: `ATT&CK ${parent}`, url: techniqueUrl(parent) }],
    }
    entries.set(key(parent, entry.tactic), { ...parentEntry, showSubtechniques: true })
  }
  const techniques = [...entries.values()].sort((a, b) => a.tactic.localeCompare(b.tactic) || a.techniqueID.localeCompare(b.techniqueID))
  const maxScore = Math.max(1, ...techniques.map((t) => t.score ?? 0))
  const unmapped = coverage.unmappedTechniques.map((t) => t.id)
  return {
    name: `Watchpost coverage: ${opts.tenantName}`,
    versions: { attack: /v(\d+)/.exec(coverage.attackVersion)?.[1] ?? coverage.attackVersion, navigator: NAVIGATOR_VERSION, layer: LAYER_FORMAT_VERSION },
    domain: 'enterprise-attack',
    description:
      `ATT&CK techniques carried by the Watchpost rules of ${opts.tenantName}, scored by the number of enabled rules (grey: rules present, all disabled), ` +
      `with their detections; generated ${opts.generatedAt.toISOString()} from ${coverage.attackVersion}.` +
      (unmapped.length > 0 ? ` Technique ids not in that ATT&CK version, left out: ${unmapped.join(', ')}.` : ''),
    filters: { platforms: ['Windows'] },
    sorting: 3,
    layout: { layout: 'side', showID: true, showName: true, showAggregateScores: false, countUnscored: false, aggregateFunction: 'average', expandedSubtechniques: 'annotated' },
    hideDisabled: false,
    techniques,
    gradient: { colors: GRADIENT, minValue: 0, maxValue: maxScore },
    legendItems: [
      { label: 'Covered by enabled rules (darker: more rules)', color: GRADIENT[1]! },
      { label: 'Rules present, all disabled', color: DISABLED_COLOR },
    ],
    showTacticRowBackground: false,
    tacticRowBackground: '#dddddd',
    selectTechniquesAcrossTactics: true,
    selectSubtechniquesWithParent: false,
    selectVisibleTechniques: false,
    metadata: [
      { name: 'tenant', value: opts.tenantName },
      { name: 'generated at', value: opts.generatedAt.toISOString() },
      { name: 'ATT&CK data', value: coverage.attackVersion },
      { name: 'covered techniques', value: String(coverage.coveredTechniqueCount) },
      { name: 'enabled rules with ATT&CK tags', value: String(coverage.enabledRuleCount) },
    ],
  }
}

export type NavigatorLayer = ReturnType<typeof navigatorLayer>
