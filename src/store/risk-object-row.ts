import type { RiskObjectRecord } from './risk-query.js'

/** A risk object as both riskObjects queries return it: aggregated from risk events, or from the kept totals. */
export interface RiskObjectRow {
  risk_object: string
  risk_object_type: string
  total: string
  n: string
  rule_ids: string[]
  techniques: string[] | null
  first_seen: Date
  last_seen: Date
}

export function riskObjectRecord(r: RiskObjectRow): RiskObjectRecord {
  return {
    object: r.risk_object,
    type: r.risk_object_type,
    totalScore: Number(r.total),
    riskEventCount: Number(r.n),
    ruleIds: r.rule_ids,
    techniqueIds: r.techniques ?? [],
    firstSeen: r.first_seen,
    lastSeen: r.last_seen,
  }
}
