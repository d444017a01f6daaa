import { RuleSyntaxError } from '../errors.js'
import { isProcessField, type CimProcessField, type ProcessEvent } from '../event.js'
import type { MacroSet } from '../macros/macro-set.js'
import { EventContext, FIELD_SLOT } from '../match/event-context.js'
import { compilePredicate, type FieldResolver, type Predicate } from '../match/predicate.js'
import { columnValue, comparableValue } from '../render/column-value.js'
import type { AggregationNode, TstatsQuery } from '../spl/ast.js'
import { parseSearch } from '../spl/parse.js'
import { planColumns, type ColumnPlan, type FilterPlan } from './columns.js'
import type { CompiledAggregation, CompiledRule, RowValues } from './compiled-rule.js'
import type { RuleDefinition } from './rule-definition.js'

/**
 * Turns a RuleDefinition into a CompiledRule: parse the search against the tenant's macros,
 * resolve field names, and compile WHERE and `_filter` predicates to closures once.
 *
 * Field resolution: in tstats WHERE and BY, `Processes.<f>` reads CIM field `<f>` of the event.
 * Anything else — a non-CIM field such as `Processes.os` or `Processes.dest_category`, or a
 * misspelling such as `processes.process_name` (field names are case-sensitive) — is a field our
 * events never carry, so it is always null: `=` and `IN` never match, `!=` never matches, and
 * `NOT f=v` always does.
 */

const PREFIX = 'Processes.'

/** The CIM field a data-model field name refers to, or null when it names none. */
export function eventFieldOf(name: string): CimProcessField | null {
  if (!name.startsWith(PREFIX)) return null
  const bare = name.slice(PREFIX.length)
  return isProcessField(bare) ? bare : null
}

const eventResolver: FieldResolver<EventContext> = (field) => {
  const f = eventFieldOf(field)
  if (f === null) return null
  const slot = FIELD_SLOT.get(f)!
  return (ctx) => ctx.lower(slot)
}

/** Compiles `rule` against `macros`; throws RuleSyntaxError carrying the rule's file and name. */
export function compileRule(rule: RuleDefinition, macros: MacroSet): CompiledRule {
  let query: TstatsQuery
  try {
    query = parseSearch(rule.search, macros)
  } catch (e) {
    if (e instanceof RuleSyntaxError) {
      throw e.withOrigin({ ...(rule.file !== null ? { file: rule.file } : {}), document: rule.document, ruleName: rule.name })
    }
    throw e
  }
  return compileQuery(rule, query)
}

/**
 * Compiles an already parsed search of `rule`, possibly rewritten since (rule exceptions add terms
 * to its WHERE tree): the compiled rule's `where` and `matches` are exactly `query.where`.
 */
export function compileQuery(rule: RuleDefinition, query: TstatsQuery): CompiledRule {
  const plan = planColumns(query)
  const test: Predicate<EventContext> = query.where === null ? () => true : compilePredicate(query.where, eventResolver)
  const filters = plan.filters.map((f) => compilePredicate(f.predicate, rowResolver(f, plan)))
  const byCount = query.by.length
  const aggregations: CompiledAggregation[] = query.aggregations.map((a, i) => ({
    kind: a.kind,
    field: a.field,
    outputName: plan.columns[byCount + i]!.finalName,
    eventField: a.field === null || a.field === '_time' ? null : eventFieldOf(a.field),
  }))
  const compiled: CompiledRule = {
    rule,
    query,
    where: query.where,
    byFields: plan.columns.slice(0, byCount).map((c) => c.finalName),
    byEventFields: query.by.map(eventFieldOf),
    aggregations,
    fillnullValue: query.options['fillnull_value'] ?? null,
    ctimeFields: plan.ctimeFields,
    standardAggregations: isStandard(query.aggregations, aggregations),
    matches(event: ProcessEvent): boolean {
      const ctx = new EventContext()
      ctx.reset(event)
      return test(ctx)
    },
    filter(row: RowValues): boolean {
      for (const f of filters) if (!f(row)) return false
      return true
    },
    test,
  }
  return Object.freeze(compiled)
}

/** Result of checkRule: the compiled rule, or the error message with its position in the search. */
export type RuleCheck =
  | { readonly ok: true; readonly compiled: CompiledRule }
  | { readonly ok: false; readonly message: string; readonly reason: string; readonly line: number | null; readonly column: number | null }

/** Like compileRule, but returns the error instead of throwing it. */
export function checkRule(rule: RuleDefinition, macros: MacroSet): RuleCheck {
  try {
    return { ok: true, compiled: compileRule(rule, macros) }
  } catch (e) {
    if (e instanceof RuleSyntaxError) return { ok: false, message: e.message, reason: e.reason, line: e.line, column: e.column }
    const message = e instanceof Error ? e.message : String(e)
    return { ok: false, message, reason: message, line: null, column: null }
  }
}

function rowResolver(filter: FilterPlan, plan: ColumnPlan): FieldResolver<RowValues> {
  return (field) => {
    const index = filter.columnByName.get(field)
    if (index === undefined) return null
    const column = plan.columns[index]!
    const ctimed = filter.ctimed.has(index)
    return (row) => comparableValue(columnValue(row, column, ctimed))
  }
}

const STANDARD: readonly [string, string | null, string][] = [
  ['count', null, 'count'],
  ['min', '_time', 'firstTime'],
  ['max', '_time', 'lastTime'],
]

function isStandard(nodes: readonly AggregationNode[], compiled: readonly CompiledAggregation[]): boolean {
  if (nodes.length !== STANDARD.length) return false
  return STANDARD.every(([kind, field, name]) => compiled.some((a) => a.kind === kind && a.field === field && a.outputName === name))
}
