import { ATTACK_TACTICS, ATTACK_VERSION, lookupTechniques, techniqueTacticPairs, type MitreTactic } from '../detection/index.js'

/**
 * ATT&CK coverage as Elastic Security's "MITRE ATT&CK coverage" page and Splunk ES's ATT&CK matrix
 * show it: tactic × technique, and for each technique the rules that carry it (enabled or not)
 * and the detections those rules produced. Pure: rules and per-rule detection figures come in.
 *
 * A technique is covered when at least one enabled rule carries it. Sub-techniques (T1059.001)
 * are techniques of their own here, placed under their own tactics, with `parentId` naming their
 * technique; a rule tagged with a sub-technique does not cover its parent, nor the reverse
 * (ATT&CK's and ESCU's meaning: ESCU rules list both when they mean both).
 */

export interface CoverageRuleInput {
  id: string
  escuId: string
  name: string
  enabled: boolean
  mitreAttackIds: readonly string[]
}

export interface RuleDetectionStats {
  count: number
  lastTime: Date | null
}

export interface CoverageRule {
  id: string
  escuId: string
  name: string
  enabled: boolean
}

export interface TechniqueCoverage {
  id: string
  name: string
  /** The technique of a sub-technique (T1059 for T1059.001); null for a technique. */
  parentId: string | null
  /** Tactic names as the ATT&CK table writes them (Command And Control). */
  tactics: string[]
  enabledRuleCount: number
  /** Every rule carrying the technique, enabled ones first, then by name. */
  rules: CoverageRule[]
  /** Detections of those rules, enabled or not. */
  detectionCount: number
  lastDetectionTime: Date | null
}

export interface TacticCoverage extends MitreTactic {
  /** Techniques and sub-techniques of the tactic in the bundled ATT&CK table. */
  techniqueCount: number
  coveredTechniqueCount: number
  /** Distinct enabled rules carrying any of the tactic's techniques. */
  enabledRuleCount: number
  /** Distinct detections of rules carrying any of the tactic's techniques. */
  detectionCount: number
  /** Sorted by id, so a sub-technique follows its technique. */
  techniques: TechniqueCoverage[]
}

export interface AttackCoverage {
  attackVersion: string
  tactics: TacticCoverage[]
  /** Ids the rules carry that the ATT&CK table does not know: no tactic to place them under. */
  unmappedTechniques: TechniqueCoverage[]
  coveredTechniqueCount: number
  /** Enabled rules carrying at least one technique. */
  enabledRuleCount: number
}

const parentOf = (id: string): string | null => (id.includes('.') ? id.slice(0, id.indexOf('.')) : null)

export function buildAttackCoverage(rules: readonly CoverageRuleInput[], stats: ReadonlyMap<string, RuleDetectionStats>, opts: { includeUncovered: boolean }): AttackCoverage {
  const rulesOf = new Map<string, CoverageRuleInput[]>()
  for (const rule of rules) for (const id of new Set(rule.mitreAttackIds)) rulesOf.set(id, [...(rulesOf.get(id) ?? []), rule])

  const techniqueIdsOf = new Map<string, Set<string>>(ATTACK_TACTICS.map((t) => [t.name, new Set<string>()]))
  const pairs = techniqueTacticPairs()
  pairs.techniques.forEach((id, i) => techniqueIdsOf.get(pairs.tactics[i]!)?.add(id))

  const coverage = new Map<string, TechniqueCoverage>()
  const coverageOf = (id: string): TechniqueCoverage => {
    let c = coverage.get(id)
    if (!c) coverage.set(id, (c = techniqueCoverage(lookupTechniques([id])[0]!, rulesOf.get(id) ?? [], stats)))
    return c
  }

  const tactics = ATTACK_TACTICS.map((tactic): TacticCoverage => {
    const ids = [...techniqueIdsOf.get(tactic.name)!].sort()
    const listed = ids.filter((id) => opts.includeUncovered || rulesOf.has(id)).map(coverageOf)
    const tacticRules = new Set(ids.flatMap((id) => rulesOf.get(id) ?? []))
    return {
      ...tactic,
      techniqueCount: ids.length,
      coveredTechniqueCount: listed.filter((t) => t.enabledRuleCount > 0).length,
      enabledRuleCount: [...tacticRules].filter((r) => r.enabled).length,
      detectionCount: [...tacticRules].reduce((n, r) => n + (stats.get(r.id)?.count ?? 0), 0),
      techniques: listed,
    }
  })
  const unmappedTechniques = [...rulesOf.keys()]
    .filter((id) => lookupTechniques([id])[0]!.tactics.length === 0)
    .sort()
    .map(coverageOf)
  return {
    attackVersion: ATTACK_VERSION,
    tactics,
    unmappedTechniques,
    coveredTechniqueCount: [...coverage.values()].filter((t) => t.enabledRuleCount > 0 && t.tactics.length > 0).length,
    enabledRuleCount: rules.filter((r) => r.enabled && r.mitreAttackIds.length > 0).length,
  }
}

function techniqueCoverage(technique: { id: string; name: string; tactics: string[] }, rules: readonly CoverageRuleInput[], stats: ReadonlyMap<string, RuleDetectionStats>): TechniqueCoverage {
  const lastTimes = rules.flatMap((r) => stats.get(r.id)?.lastTime ?? [])
  return {
    id: technique.id,
    name: technique.name,
    parentId: parentOf(technique.id),
    tactics: technique.tactics,
    enabledRuleCount: rules.filter((r) => r.enabled).length,
    rules: [...rules]
      .sort((a, b) => Number(b.enabled) - Number(a.enabled) || a.name.localeCompare(b.name))
      .map((r) => ({ id: r.id, escuId: r.escuId, name: r.name, enabled: r.enabled })),
    detectionCount: rules.reduce((n, r) => n + (stats.get(r.id)?.count ?? 0), 0),
    lastDetectionTime: lastTimes.length > 0 ? new Date(Math.max(...lastTimes.map((d) => d.getTime()))) : null,
  }
}
