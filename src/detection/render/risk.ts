import type { RiskObjectType } from '../rule/rule-definition.js'
import type { CompiledRule } from '../rule/compiled-rule.js'
import type { ShownValue } from './column-value.js'

/**
 * Risk and threat objects of one row, as ES would write them to the risk index: one risk entry per
 * rba risk object (and per value, for a multivalue column), with the row's value, the object's
 * type and score, and the rba message with `$field$` tokens filled from the row.
 *
 * A risk or threat object whose value is missing, empty, or the fillnull value (ESCU: the literal
 * "null") is skipped: contentctl's detection test treats a "null" risk object as a failure, so it
 * is not a real entity. The CIM placeholder "unknown" is a value and is kept.
 */

/** One risk entry of a detection. */
export interface RiskView {
  readonly object: string
  readonly type: RiskObjectType
  readonly score: number
  readonly message: string
}

/** One threat object of a detection. */
export interface ThreatObjectView {
  readonly value: string
  readonly type: string
}

function usableValues(v: ShownValue | undefined, rule: CompiledRule): string[] {
  if (v === undefined) return []
  const list = typeof v === 'object' ? [...v] : [String(v)]
  return list.filter((x) => x !== '' && x !== 'null' && x !== rule.fillnullValue)
}

/** Risk entries for a row's columns. */
export function riskOf(rule: CompiledRule, columns: ReadonlyMap<string, ShownValue>): RiskView[] {
  const rba = rule.rule.rba
  if (rba === null) return []
  const message = fillMessage(rba.message, columns)
  return rba.riskObjects.flatMap((o) =>
    usableValues(columns.get(o.field), rule).map((object) => ({ object, type: o.type, score: o.score, message })),
  )
}

/** Threat objects for a row's columns. */
export function threatObjectsOf(rule: CompiledRule, columns: ReadonlyMap<string, ShownValue>): ThreatObjectView[] {
  const rba = rule.rule.rba
  if (rba === null) return []
  return rba.threatObjects.flatMap((o) => usableValues(columns.get(o.field), rule).map((value) => ({ value, type: o.type })))
}

/**
 * Replaces each `$field$` with the row's value of that column. A token naming no column of the row
 * is left exactly as written (so a rule author sees what did not resolve); a multivalue column is
 * written as its values joined with ", " (ES's own rendering of multivalue tokens is unverified).
 */
export function fillMessage(message: string, columns: ReadonlyMap<string, ShownValue>): string {
  return message.replace(/\$([^$\s]+)\$/g, (token, name: string) => {
    const v = columns.get(name)
    if (v === undefined) return token
    return typeof v === 'object' ? v.join(', ') : String(v)
  })
}
