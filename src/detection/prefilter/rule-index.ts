import type { CimProcessField } from '../event.js'
import { FIELD_SLOT, type EventContext } from '../match/event-context.js'
import type { CompiledRule } from '../rule/compiled-rule.js'
import { FieldIndex, type FieldAtom } from './field-index.js'
import { ruleNeeds, type Need, type RuleNeeds } from './rule-needs.js'

/**
 * Selects, per event, the rules that could match it, so that the aggregator evaluates only those.
 * Each rule's needs (rule-needs.ts) are indexed by the field they test (field-index.ts). A rule is
 * selected when each of its needs has an atom that holds on the event; a rule without needs is
 * selected for every event, one with a need that can never hold for none. Needs are implied by
 * the WHERE tree, so a rule that is not selected would not have matched: selection changes how
 * much is evaluated, never the result.
 */

/** How the rules of an index are selected. */
export interface RuleIndexStats {
  readonly rules: number
  /** Rules selected through indexed needs. */
  readonly indexed: number
  /** Rules without needs: evaluated on every event. */
  readonly alwaysChecked: number
  /** Rules that can never match (e.g. `=` on a non-CIM field): never evaluated. */
  readonly never: number
  /** The event fields looked at for each event. */
  readonly fields: readonly CimProcessField[]
}

interface IndexedField {
  readonly field: CimProcessField
  readonly slot: number
  readonly index: FieldIndex
}

export class RuleIndex {
  /** The indexes (into the constructor's rules) chosen by the last select(), in `selected[0 .. n)`. */
  readonly selected: Int32Array
  readonly stats: RuleIndexStats

  private readonly always: Int32Array
  private readonly fields: IndexedField[] = []
  /** Owning rule of each need id, and number of needs of each rule. */
  private readonly needRule: Int32Array
  private readonly needCount: Int32Array
  /** Epoch stamps: a need counts once per event, and a rule's count of needs met restarts at 0. */
  private readonly needSeen: Uint32Array
  private readonly ruleSeen: Uint32Array
  private readonly ruleMet: Int32Array
  private epoch = 0
  private count = 0

  constructor(rules: readonly CompiledRule[]) {
    const needs = withoutStrayFields(rules.map(needsOfRule))
    const needRule: number[] = []
    const always: number[] = []
    const atoms = new Map<CimProcessField, FieldAtom[]>()
    let never = 0
    needs.forEach((ruleNeeds, r) => {
      if (ruleNeeds.length === 0) always.push(r)
      else if (ruleNeeds.some((n) => n.length === 0)) never++
      else {
        for (const need of ruleNeeds) {
          const id = needRule.length
          needRule.push(r)
          for (const { field, match, value } of need) getOrSet(atoms, field, () => []).push({ match, value, id })
        }
      }
    })
    for (const [field, fieldAtoms] of atoms) this.fields.push({ field, slot: FIELD_SLOT.get(field)!, index: new FieldIndex(fieldAtoms) })
    this.always = Int32Array.from(always)
    this.needRule = Int32Array.from(needRule)
    this.needCount = Int32Array.from(needs, (n) => n.length)
    this.needSeen = new Uint32Array(needRule.length)
    this.ruleSeen = new Uint32Array(rules.length)
    this.ruleMet = new Int32Array(rules.length)
    this.selected = new Int32Array(rules.length)
    this.stats = {
      rules: rules.length,
      indexed: rules.length - always.length - never,
      alwaysChecked: always.length,
      never,
      fields: this.fields.map((f) => f.field),
    }
  }

  /** Selects the rules that could match the event in `ctx`; returns how many (see `selected`). */
  select(ctx: EventContext): number {
    if (++this.epoch === 0xffffffff) {
      this.needSeen.fill(0)
      this.ruleSeen.fill(0)
      this.epoch = 1
    }
    if (this.always.length > 0) this.selected.set(this.always)
    this.count = this.always.length
    const event = ctx.event
    for (const f of this.fields) {
      const raw = event[f.field]
      if (raw === null) continue
      const needs = f.index.recall(raw) ?? f.index.satisfiedBy(raw, ctx.lower(f.slot)!)
      for (let i = 0; i < needs.length; i++) this.meet(needs[i]!)
    }
    return this.count
  }

  private meet(need: number): void {
    if (this.needSeen[need] === this.epoch) return
    this.needSeen[need] = this.epoch
    const r = this.needRule[need]!
    if (this.ruleSeen[r] !== this.epoch) {
      this.ruleSeen[r] = this.epoch
      this.ruleMet[r] = 0
    }
    if (++this.ruleMet[r]! === this.needCount[r]) this.selected[this.count++] = r
  }
}

/** Needs per compiled rule: rules are compiled once and indexed by every aggregator built over them. */
const needsCache = new WeakMap<CompiledRule, RuleNeeds>()

function needsOfRule(rule: CompiledRule): RuleNeeds {
  let needs = needsCache.get(rule)
  if (needs === undefined) {
    needs = ruleNeeds(rule.where)
    needsCache.set(rule, needs)
  }
  return needs
}

/**
 * Drops the extra needs (all but a rule's best) that test a field no rule's best need tests:
 * looking at one more field for every event costs more than the few evaluations they save.
 */
function withoutStrayFields(needs: readonly RuleNeeds[]): RuleNeeds[] {
  const primary = new Set(needs.flatMap((n) => (n.length > 0 ? n[0]!.map((a) => a.field) : [])))
  const onPrimary = (need: Need): boolean => need.every((a) => primary.has(a.field))
  return needs.map((n) => n.filter((need, i) => i === 0 || onPrimary(need)))
}

function getOrSet<K, V>(map: Map<K, V>, key: K, create: () => V): V {
  let v = map.get(key)
  if (v === undefined) {
    v = create()
    map.set(key, v)
  }
  return v
}
