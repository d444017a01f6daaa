import { ruleWith } from '../../detection/helpers.js'
import fc from 'fast-check'
import {
  CIM_PROCESS_FIELDS,
  compileRule,
  createMacroSet,
  type CimProcessField,
  type CompiledRule,
  type ProcessEvent,
  type RuleDefinition,
  type WhereNode,
} from '../../../../src/detection/index.js'

/**
 * Random rules and events for comparing the SQL backend with the in-memory engine. Rules are
 * written as SPL text (so they go through the real parser), from WHERE trees whose values mix
 * case, LIKE metacharacters, quotes, backslashes and non-ASCII; events draw every field from a
 * small pool (or null) so that matches, groups and null BY values actually happen.
 */

/**
 * Families of values that are meant to collide: case variants, LIKE metacharacters standing in
 * for one another, quotes, non-ASCII folds, fillnull look-alikes. A run draws its values from one
 * or two families, so patterns and events meet often.
 */
export const VALUE_FAMILIES: readonly (readonly string[])[] = [
  ['cmd.exe', 'CMD.EXE', 'cmd.exe /c whoami', 'C:\\Windows\\cmd.exe'],
  ['ngrok.exe', 'ngrok.exe http 80', 'NGROK.EXE TCP 22', 'x*y'],
  ['a_b', 'a%b', 'a\\b', 'axb', 'a__b', '%_\\'],
  ["it's", 'say "hi"', "x'; DROP TABLE process_events; --"],
  ['null', 'N/A', 'unknown', ''],
  ['école', 'ÉCOLE', 'straße', 'STRASSE', '\u212aelvin', 'kelvin'],
  ['😀', '日本', 'Ωmega', 'İstanbul', 'ΟΔΟΣ', 'οδος'],
]

/** Every value of every family. */
export const VALUE_POOL: readonly string[] = VALUE_FAMILIES.flat()

/** The values of one run: one or two families. */
export const runPoolArb: fc.Arbitrary<readonly string[]> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...VALUE_FAMILIES) },
  { weight: 1, arbitrary: fc.shuffledSubarray([...VALUE_FAMILIES], { minLength: 2, maxLength: 2 }).map((fs) => fs.flat()) },
)

/** `v` as written, upper-cased, lower-cased or in mixed case. */
const caseVariantArb = (v: string): fc.Arbitrary<string> =>
  fc.oneof(fc.constantFrom(v, v.toUpperCase(), v.toLowerCase()), fc.mixedCase(fc.constant(v)))

/** Characters for free-form patterns: LIKE metacharacters, quotes, SPL specials, odd case folds (U+212A is the Kelvin sign), NUL. */
const ODD_CHARACTERS = ['a', 'A', 'b', '%', '_', '\\', '*', "'", '"', '`', '|', ' ', 'İ', 'ı', 'Σ', 'ς', 'é', 'É', 'ß', '\u212a', '\u0000']

/** Fields WHERE trees compare: a few CIM fields (so comparisons meet each other) and, less often, never-present ones. */
const WHERE_FIELDS = ['Processes.process_name', 'Processes.process', 'Processes.user', 'Processes.process_guid']
const NEVER_PRESENT_FIELDS = ['Processes.os', 'processes.process_name']

const BY_FIELDS = [...CIM_PROCESS_FIELDS.map((f) => `Processes.${f}`), 'Processes.os']
const AGGREGATION_FIELDS = ['process', 'user', 'dest', 'process_guid', 'os']

const cut = (v: string, i: number, j: number): [string, string, string] => {
  // Code points, not code units: a pattern must never hold half of a surrogate pair.
  const cps = Array.from(v)
  const a = i % (cps.length + 1)
  const b = j % (cps.length + 1)
  const [lo, hi] = a <= b ? [a, b] : [b, a]
  return [cps.slice(0, lo).join(''), cps.slice(lo, hi).join(''), cps.slice(hi).join('')]
}

const SHAPES = ['exact', 'exact', 'prefix', 'suffix', 'contains', 'inner', 'two-stars', 'any'] as const

function patternFrom(value: string, shape: (typeof SHAPES)[number], i: number, j: number): string {
  const [head, middle, tail] = cut(value, i, j)
  switch (shape) {
    case 'exact':
      return value
    case 'prefix':
      return `${head}*`
    case 'suffix':
      return `*${middle}${tail}`
    case 'contains':
      return `*${middle}*`
    case 'inner':
      return `${head}*${tail}`
    case 'two-stars':
      return `${head}*${middle}**${tail}`
    case 'any':
      return '*'
  }
}

/** An SPL value pattern: mostly a case variant of a pool value with `*` somewhere, sometimes odd characters. */
export function patternArb(pool: readonly string[]): fc.Arbitrary<string> {
  return fc.oneof(
    {
      weight: 6,
      arbitrary: fc
        .tuple(fc.constantFrom(...pool).chain(caseVariantArb), fc.constantFrom(...SHAPES), fc.nat(), fc.nat())
        .map(([v, shape, i, j]) => patternFrom(v, shape, i, j)),
    },
    { weight: 1, arbitrary: fc.array(fc.constantFrom(...ODD_CHARACTERS), { maxLength: 6 }).map((cs) => cs.join('')) },
  )
}

/** A random WHERE tree over WHERE_FIELDS with values from `pool`. */
export function whereArb(pool: readonly string[]): fc.Arbitrary<WhereNode> {
  const value = patternArb(pool)
  const field = fc.oneof({ weight: 6, arbitrary: fc.constantFrom(...WHERE_FIELDS) }, { weight: 1, arbitrary: fc.constantFrom(...NEVER_PRESENT_FIELDS) })
  const leaf = fc.oneof(
    { weight: 6, arbitrary: fc.record({ kind: fc.constant('compare' as const), field, op: fc.constantFrom('eq' as const, 'ne' as const), value }) },
    { weight: 3, arbitrary: fc.record({ kind: fc.constant('in' as const), field, values: fc.array(value, { minLength: 1, maxLength: 4 }) }) },
    { weight: 1, arbitrary: fc.constant({ kind: 'all' as const }) },
  )
  return fc.letrec<{ node: WhereNode; not: WhereNode; and: WhereNode; or: WhereNode }>((tie) => ({
    node: fc.oneof({ depthSize: 'small', maxDepth: 3 }, leaf, tie('not'), tie('and'), tie('or')),
    not: tie('node').map((operand): WhereNode => ({ kind: 'not', operand })),
    and: fc.array(tie('node'), { minLength: 2, maxLength: 3 }).map((operands): WhereNode => ({ kind: 'and', operands })),
    or: fc.array(tie('node'), { minLength: 2, maxLength: 3 }).map((operands): WhereNode => ({ kind: 'or', operands })),
  })).node
}

/** An SPL quoted string whose unescaped value is `v` (SPL escapes only `\\` and `\"`). */
export function splQuote(v: string): string {
  return `"${v.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`
}

/** SPL text for a WHERE tree, fully parenthesised so that it parses back to the same tree. */
export function whereToSpl(node: WhereNode): string {
  switch (node.kind) {
    case 'all':
      return '*'
    case 'compare':
      return `${node.field}${node.op === 'eq' ? '=' : '!='}${splQuote(node.value)}`
    case 'in':
      return `${node.field} IN (${node.values.map(splQuote).join(', ')})`
    case 'not':
      return `NOT (${whereToSpl(node.operand)})`
    case 'and':
      return `(${node.operands.map(whereToSpl).join(' AND ')})`
    case 'or':
      return `(${node.operands.map(whereToSpl).join(' OR ')})`
    case 'literal':
      throw new Error('a literal comparison (rule exceptions) has no SPL text')
  }
}

/** The parts of a random search. */
export interface RuleSpec {
  readonly options: string
  readonly aggregations: readonly string[]
  readonly where: WhereNode | null
  readonly by: readonly string[]
  readonly drop: boolean
  /** Definition of the rule's `_filter` macro, or null for no filter stage. */
  readonly filter: string | null
}

const aggregationArb = fc.oneof(
  fc.constantFrom('count', 'min(_time) as firstTime', 'max(_time) as lastTime', 'min(_time)', 'max(_time) as last', 'count(_time)'),
  fc.tuple(fc.constantFrom('count', 'values', 'dc'), fc.constantFrom(...AGGREGATION_FIELDS), fc.boolean()).map(([fn, f, named]) =>
    named ? `${fn}(Processes.${f}) as ${fn}_${f}` : `${fn}(Processes.${f})`,
  ),
)

/** `_filter` definitions; most keep some rows whether or not drop_dm_object_name ran. */
const FILTERS = [
  'search *',
  'search NOT dest=cmd.exe',
  'search NOT process_name=*ngrok*',
  'search NOT "Processes.user"=*a*',
  'search count!=1',
  'search NOT user IN (unknown, null, "N/A")',
]

/** A random search over `pool`: options, aggregations, WHERE, BY, drop_dm_object_name and a `_filter` stage. */
export function ruleSpecArb(pool: readonly string[]): fc.Arbitrary<RuleSpec> {
  return fc.record({
    options: fc.constantFrom('', '`security_content_summariesonly`', 'fillnull_value="N/A"', 'fillnull_value=null', 'summariesonly=false'),
    aggregations: fc.array(aggregationArb, { minLength: 1, maxLength: 4 }),
    where: fc.option(whereArb(pool), { nil: null, freq: 8 }),
    by: fc.oneof({ weight: 8, arbitrary: fc.shuffledSubarray(BY_FIELDS, { maxLength: 3 }) }, { weight: 1, arbitrary: fc.constant(BY_FIELDS.slice(0, 20)) }),
    drop: fc.boolean(),
    filter: fc.option(fc.constantFrom(...FILTERS), { nil: null, freq: 2 }),
  })
}

/** The search text of `spec`. */
export function searchOf(spec: RuleSpec): string {
  const parts = ['| tstats', spec.options, ...spec.aggregations, 'from datamodel=Endpoint.Processes']
  if (spec.where !== null) parts.push('where', whereToSpl(spec.where))
  if (spec.by.length > 0) parts.push('by', ...spec.by)
  let search = parts.filter((p) => p !== '').join(' ')
  if (spec.drop) search += ' | `drop_dm_object_name(Processes)`'
  if (spec.filter !== null) search += ' | `random_rule_filter`'
  return search
}

/** A minimal RuleDefinition around `search`. */
export function ruleDefinition(search: string, id = '00000000-0000-4000-8000-00000000f00d'): RuleDefinition {
  return ruleWith(search, { id, name: 'Random Rule', filterMacroName: 'random_rule_filter' })
}

/** Compiles `spec` with builtins plus its filter macro. */
export function compileSpec(spec: RuleSpec): CompiledRule {
  const filter = spec.filter === null ? [] : [{ name: 'random_rule_filter', args: [], definition: spec.filter }]
  return compileRule(ruleDefinition(searchOf(spec)), createMacroSet(filter))
}

/** Random events with values from `pool` that pass `storable` (values the database folds like JS). */
export function eventsArb(pool: readonly string[], storable: (v: string) => boolean, size = { minLength: 2, maxLength: 12 }): fc.Arbitrary<ProcessEvent[]> {
  const bases = pool.filter(storable)
  const present = bases.length === 0 ? fc.constant(null) : fc.constantFrom(...bases).chain(caseVariantArb).filter(storable)
  const value = fc.option(present, { nil: null, freq: 4 })
  const fields = Object.fromEntries(CIM_PROCESS_FIELDS.map((f) => [f, value])) as Record<CimProcessField, fc.Arbitrary<string | null>>
  const event = fc.record({ _time: fc.integer({ min: 1_700_000_000_000, max: 1_700_000_100_000 }), ...fields })
  return fc.array(event, size)
}

/** A rule and events over the same run pool. */
export function scenarioArb(storable: (v: string) => boolean): fc.Arbitrary<{ spec: RuleSpec; events: ProcessEvent[] }> {
  return runPoolArb.chain((pool) => fc.record({ spec: ruleSpecArb(pool), events: eventsArb(pool, storable) }))
}

/** A WHERE tree and a larger batch of events over the same run pool, for comparing match sets. */
export function whereScenarioArb(storable: (v: string) => boolean): fc.Arbitrary<{ where: WhereNode; events: ProcessEvent[] }> {
  return runPoolArb.chain((pool) => fc.record({ where: whereArb(pool), events: eventsArb(pool, storable, { minLength: 10, maxLength: 30 }) }))
}
