import type { ProcessEvent } from '../event.js'
import { EventContext } from '../match/event-context.js'
import { RuleIndex } from '../prefilter/rule-index.js'
import type { CompiledRule } from '../rule/compiled-rule.js'
import { groupKey } from './fnv.js'
import type { GroupedRow, PartialGroup } from './grouped-row.js'

/**
 * Streaming tstats: events go in one at a time, and memory grows with the number of distinct
 * groups (plus the distinct values `values()`/`dc()` must remember), never with the number of events.
 *
 * tstats semantics reproduced: one row per distinct BY tuple; a null BY value becomes the
 * `fillnull_value` (ESCU: the string "null") or, when the search sets none, drops the event; a
 * search without BY yields one row only when at least one event matched (Splunk would also
 * return a count=0 row, which is not a detection).
 *
 * Each event is evaluated only against the rules a RuleIndex (prefilter/) selects for it — those
 * whose necessary conditions it meets — which gives the same rows as evaluating every rule.
 */

interface GroupState {
  readonly by: string[]
  count: number
  minTime: number
  maxTime: number
  readonly accs: (number | Set<string>)[]
}

interface RuleState {
  readonly rule: CompiledRule
  readonly groups: Map<string, GroupState>
}

const isSetAggregation = (kind: string): boolean => kind === 'values' || kind === 'dc'

/** Options of DetectionAggregator. */
export interface DetectionAggregatorOptions {
  /**
   * Evaluate on each event only the rules a RuleIndex selects for it (default true). The results
   * are the same either way; false evaluates every rule on every event, as a reference.
   */
  readonly prefilter?: boolean
}

/** Groups matching events per rule and BY tuple, like `| tstats … BY …`. */
export class DetectionAggregator {
  private readonly states: RuleState[]
  private readonly byRuleId = new Map<string, RuleState>()
  private readonly ctx = new EventContext()
  private readonly index: RuleIndex | null

  constructor(rules: readonly CompiledRule[], options: DetectionAggregatorOptions = {}) {
    this.states = rules.map((rule) => ({ rule, groups: new Map() }))
    for (const s of this.states) {
      if (this.byRuleId.has(s.rule.rule.id)) throw new Error(`duplicate rule id ${s.rule.rule.id} in one aggregator`)
      this.byRuleId.set(s.rule.rule.id, s)
    }
    this.index = (options.prefilter ?? true) ? new RuleIndex(rules) : null
  }

  /** Adds `event` to the groups of the rules it matches. */
  add(event: ProcessEvent): void {
    const ctx = this.ctx
    ctx.reset(event)
    if (this.index === null) {
      for (const s of this.states) if (s.rule.test(ctx)) this.accumulate(s, event)
      return
    }
    const n = this.index.select(ctx)
    const selected = this.index.selected
    for (let i = 0; i < n; i++) {
      const s = this.states[selected[i]!]!
      if (s.rule.test(ctx)) this.accumulate(s, event)
    }
  }

  /**
   * Whether `event` matches any rule, without adding it: for callers that must hold on to the
   * events they will add later (only those that match, then; the others cannot change the rows).
   */
  matchesAny(event: ProcessEvent): boolean {
    const ctx = this.ctx
    ctx.reset(event)
    if (this.index === null) return this.states.some((s) => s.rule.test(ctx))
    const n = this.index.select(ctx)
    const selected = this.index.selected
    for (let i = 0; i < n; i++) if (this.states[selected[i]!]!.rule.test(ctx)) return true
    return false
  }

  /** Number of groups held, over all rules. */
  get groupCount(): number {
    let n = 0
    for (const s of this.states) n += s.groups.size
    return n
  }

  private accumulate(s: RuleState, event: ProcessEvent): void {
    const fields = s.rule.byEventFields
    const by = new Array<string>(fields.length)
    for (let i = 0; i < fields.length; i++) {
      const f = fields[i]!
      const v = f === null ? null : event[f]
      if (v !== null) by[i] = v
      else if (s.rule.fillnullValue !== null) by[i] = s.rule.fillnullValue
      else return
    }
    const g = this.groupOf(s, by)
    g.count++
    if (event._time < g.minTime) g.minTime = event._time
    if (event._time > g.maxTime) g.maxTime = event._time
    const aggs = s.rule.aggregations
    for (let j = 0; j < aggs.length; j++) {
      const f = aggs[j]!.eventField
      if (f === null) continue
      const v = event[f]
      if (v === null) continue
      const acc = g.accs[j]!
      if (typeof acc === 'number') g.accs[j] = acc + 1
      else acc.add(v)
    }
  }

  private groupOf(s: RuleState, by: string[]): GroupState {
    // Length-prefixed so that values containing separators cannot collide.
    const mapKey = by.length === 1 ? by[0]! : by.map((v) => `${v.length}:${v}`).join('')
    let g = s.groups.get(mapKey)
    if (g === undefined) {
      const accs = s.rule.aggregations.map((a) => (isSetAggregation(a.kind) ? new Set<string>() : 0))
      g = { by, count: 0, minTime: Infinity, maxTime: -Infinity, accs }
      s.groups.set(mapKey, g)
    }
    return g
  }

  /** The unfiltered groups as JSON-safe partials, for merging results of several workers. */
  exportGroups(): PartialGroup[] {
    const out: PartialGroup[] = []
    for (const s of this.states) {
      for (const g of s.groups.values()) {
        out.push({
          ruleId: s.rule.rule.id,
          by: [...g.by],
          count: g.count,
          minTime: g.count > 0 ? g.minTime : null,
          maxTime: g.count > 0 ? g.maxTime : null,
          accumulators: g.accs.map((a) => (typeof a === 'number' ? a : [...a].sort())),
        })
      }
    }
    return out
  }

  /** Adds partial groups (from exportGroups of an aggregator over the same rules) into this one. */
  importGroups(groups: Iterable<PartialGroup>): void {
    for (const p of groups) {
      const s = this.byRuleId.get(p.ruleId)
      if (s === undefined) throw new Error(`partial group for unknown rule ${p.ruleId}`)
      if (p.by.length !== s.rule.byEventFields.length || p.accumulators.length !== s.rule.aggregations.length) {
        throw new Error(`partial group does not fit rule ${p.ruleId}`)
      }
      const g = this.groupOf(s, [...p.by])
      g.count += p.count
      if (p.minTime !== null && p.minTime < g.minTime) g.minTime = p.minTime
      if (p.maxTime !== null && p.maxTime > g.maxTime) g.maxTime = p.maxTime
      p.accumulators.forEach((a, j) => {
        const acc = g.accs[j]!
        if (typeof acc === 'number') g.accs[j] = acc + (typeof a === 'number' ? a : 0)
        else if (typeof a !== 'number') for (const v of a) acc.add(v)
      })
    }
  }

  /** Merges another aggregator's groups into this one. */
  merge(other: DetectionAggregator): void {
    this.importGroups(other.exportGroups())
  }

  /** The grouped rows after each rule's `_filter`, sorted by rule name, rule id, then BY values. */
  rows(): GroupedRow[] {
    const out: { row: GroupedRow; by: readonly string[] }[] = []
    for (const s of this.states) {
      for (const g of s.groups.values()) {
        const row = toRow(s.rule, g)
        if (s.rule.filter(row)) out.push({ row, by: g.by })
      }
    }
    out.sort((a, b) => compareStrings(a.row.rule.rule.name, b.row.rule.rule.name) || compareStrings(a.row.rule.rule.id, b.row.rule.rule.id) || compareTuples(a.by, b.by))
    return out.map((o) => o.row)
  }
}

function toRow(rule: CompiledRule, g: GroupState): GroupedRow {
  const fields: Record<string, string> = {}
  rule.byFields.forEach((name, i) => {
    fields[name] = g.by[i]!
  })
  const aggregates: Record<string, string | number | string[]> = {}
  let firstTime: number | null = null
  let lastTime: number | null = null
  rule.aggregations.forEach((a, j) => {
    const acc = g.accs[j]!
    let value: number | string[]
    if (a.kind === 'min') value = firstTime ??= g.minTime
    else if (a.kind === 'max') value = lastTime ??= g.maxTime
    else if (a.kind === 'count') value = a.field === null ? g.count : (acc as number)
    else if (a.kind === 'dc') value = (acc as Set<string>).size
    else value = [...(acc as Set<string>)].sort()
    if (!Object.hasOwn(fields, a.outputName)) aggregates[a.outputName] = value
  })
  return { rule, key: groupKey(rule.rule.id, g.by), fields, count: g.count, firstTime, lastTime, aggregates }
}

/** Code-unit order: deterministic and locale-independent, like Splunk's lexicographic sort. */
function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

function compareTuples(a: readonly string[], b: readonly string[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const c = compareStrings(a[i]!, b[i]!)
    if (c !== 0) return c
  }
  return a.length - b.length
}
