import { describeDetection, type GroupedRow } from '../detection/index.js'
import type { DetectionContributionInput } from './detection-writer.js'

/** A grouped row of a tenant's rule as the detection writer records it (with risk and ATT&CK). */
export function contributionOf(row: GroupedRow, rule: { ruleId: string; revision: number }): DetectionContributionInput {
  const view = describeDetection(row)
  return {
    ruleId: rule.ruleId,
    ruleRevision: rule.revision,
    groupKey: row.key,
    fields: row.fields,
    count: row.count,
    firstTime: row.firstTime,
    lastTime: row.lastTime,
    risk: view.risk,
    threatObjects: view.threatObjects,
    mitreTechniques: view.mitre.map((m) => m.id),
  }
}

/** The distinct risk objects of some grouped rows (the objects whose risk incidents to re-evaluate). */
export function riskObjectsOf(contributions: readonly DetectionContributionInput[]): { type: string; object: string }[] {
  const seen = new Map<string, { type: string; object: string }>()
  for (const c of contributions) for (const r of c.risk) seen.set(`${r.type}\u0000${r.object}`, { type: r.type, object: r.object })
  return [...seen.values()]
}
