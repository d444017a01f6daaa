import { RuleSyntaxError, positionAt, type SourcePosition } from '../errors.js'
import { expandMacros } from '../macros/expand.js'
import type { MacroSet } from '../macros/macro-set.js'
import type { AggregationKind, AggregationNode, StageNode, TstatsQuery, WhereNode } from './ast.js'
import { TokenCursor, describeToken, isWordCI } from './cursor.js'
import { parsePredicate } from './parse-predicate.js'
import { parseStage } from './stages.js'
import { tokenize, type Token } from './tokenize.js'

/**
 * Parses `| tstats [options] <aggregations> FROM datamodel=Endpoint.Processes [WHERE …] [BY …]`
 * followed by the allowed pipeline stages. Macros inside the tstats command are expanded first;
 * pipeline macros are handled by spl/stages.ts. Every error carries a line and column in `search`.
 */

/** The only data model this engine evaluates. */
export const SUPPORTED_DATAMODEL = 'Endpoint.Processes'

/**
 * Accepted tstats options. fillnull_value is applied by the aggregator; summariesonly and
 * allow_old_summaries only choose between accelerated summaries and raw data in Splunk, and
 * Watchpost always evaluates every event (what summariesonly=false gives), so they are recorded only.
 */
const TSTATS_OPTIONS = new Set(['summariesonly', 'allow_old_summaries', 'fillnull_value'])

const AGGREGATIONS: Readonly<Record<string, AggregationKind>> = { count: 'count', min: 'min', max: 'max', values: 'values', dc: 'dc' }

/** Parses a whole search; throws RuleSyntaxError. */
export function parseSearch(search: string, macros: MacroSet): TstatsQuery {
  const tokens = tokenize(search)
  const endPos = positionAt(search, search.length)
  const pipes = tokens.filter((t) => t.type === 'pipe')
  const first = tokens[0]
  if (first === undefined) throw new RuleSyntaxError('empty search', endPos)
  if (first.type !== 'pipe') throw new RuleSyntaxError(`a search must start with \`| tstats\`, found ${describeToken(first)}`, first.pos)

  const segments: Token[][] = []
  for (const t of tokens) {
    if (t.type === 'pipe') segments.push([])
    else segments[segments.length - 1]!.push(t)
  }
  const [tstatsSegment, ...stageSegments] = segments
  const head = tstatsSegment![0]
  if (head === undefined || !isWordCI(head, 'tstats')) {
    const found = head === undefined ? 'nothing' : describeToken(head)
    throw new RuleSyntaxError(`only \`| tstats\` searches are supported, found ${found}`, (head ?? first).pos)
  }
  const stageStart = pipes[1]?.pos ?? endPos
  const query = parseTstats(expandMacros(tstatsSegment!.slice(1), macros), stageStart)
  const stages: StageNode[] = stageSegments.map((seg, i) => parseStage(seg, pipes[i + 1]!, macros))
  return { ...query, stages }
}

function parseTstats(tokens: Token[], endPos: SourcePosition): Omit<TstatsQuery, 'stages'> {
  const c = new TokenCursor(tokens, endPos)
  const misplacedPipe = tokens.find((t) => t.type === 'pipe')
  if (misplacedPipe !== undefined) throw c.error('a macro inside tstats expands to a pipe', misplacedPipe)

  const options = parseOptions(c)
  const aggregations = parseAggregations(c)
  const datamodel = parseFrom(c)
  let where: WhereNode | null = null
  if (isWordCI(c.peek(), 'where')) {
    c.next('WHERE')
    where = parsePredicate(c, (t) => isWordCI(t, 'by'))
  }
  const by: string[] = []
  if (isWordCI(c.peek(), 'by')) {
    c.next('BY')
    parseByList(c, by)
  }
  const rest = c.peek()
  if (rest !== undefined) throw c.error(`unexpected ${describeToken(rest)} in tstats`, rest)
  return { options, aggregations, datamodel, where, by }
}

function parseOptions(c: TokenCursor): Record<string, string> {
  const options: Record<string, string> = {}
  for (;;) {
    const name = c.peek()
    const eq = c.peek(1)
    if (name?.type !== 'word' || eq?.type !== 'op' || eq.value !== '=') return options
    if (!TSTATS_OPTIONS.has(name.value)) throw c.error(`unsupported tstats option \`${name.value}\``, name)
    c.next('option')
    c.next('=')
    const value = c.next(`a value for ${name.value}`)
    if (value.type !== 'word' && value.type !== 'string') throw c.error(`expected a value for ${name.value}`, value)
    options[name.value] = value.value
  }
}

function parseAggregations(c: TokenCursor): AggregationNode[] {
  const out: AggregationNode[] = []
  while (!isWordCI(c.peek(), 'from')) {
    const fn = c.next('an aggregation or FROM')
    const kind = fn.type === 'word' ? AGGREGATIONS[fn.raw.toLowerCase()] : undefined
    if (kind === undefined) throw c.error(`unsupported aggregation ${describeToken(fn)} (supported: count, min, max, values, dc)`, fn)
    let field: Token | null = null
    if (c.peek()?.type === 'lparen') {
      c.next('(')
      field = c.next('a field name')
      if (field.type !== 'word') throw c.error(`expected a field name, found ${describeToken(field)}`, field)
      const close = c.next('`)`')
      if (close.type !== 'rparen') throw c.error(`expected \`)\`, found ${describeToken(close)}`, close)
    }
    checkAggregationField(c, fn, kind, field)
    let outputName = field === null ? fn.raw : `${fn.raw}(${field.raw})`
    if (isWordCI(c.peek(), 'as')) {
      c.next('AS')
      const name = c.next('a name after AS')
      if (name.type !== 'word' && name.type !== 'string') throw c.error(`expected a name after AS, found ${describeToken(name)}`, name)
      outputName = name.value
    }
    out.push({ kind, field: field?.value ?? null, outputName })
  }
  if (out.length === 0) throw c.error('tstats needs at least one aggregation before FROM', c.peek()!)
  return out
}

function checkAggregationField(c: TokenCursor, fn: Token, kind: AggregationKind, field: Token | null): void {
  if (kind === 'count') return
  if (field === null) throw c.error(`${fn.raw}() needs a field`, fn)
  if ((kind === 'min' || kind === 'max') && field.value !== '_time') {
    throw c.error(`${fn.raw}(${field.raw}) is not supported; only ${fn.raw}(_time)`, field)
  }
  if ((kind === 'values' || kind === 'dc') && field.value === '_time') {
    throw c.error(`${fn.raw}(_time) is not supported`, field)
  }
}

function parseFrom(c: TokenCursor): string {
  c.next('FROM')
  const dm = c.next('datamodel=')
  const eq = c.next('`=`')
  if (!isWordCI(dm, 'datamodel') || eq.type !== 'op' || eq.value !== '=') {
    throw c.error('expected `datamodel=<model>.<dataset>` after FROM', dm)
  }
  const model = c.next('a data model name')
  if (model.type !== 'word' && model.type !== 'string') throw c.error(`expected a data model name, found ${describeToken(model)}`, model)
  if (model.value !== SUPPORTED_DATAMODEL) {
    throw c.error(`unsupported datamodel \`${model.value}\`; only ${SUPPORTED_DATAMODEL} is supported`, model)
  }
  return model.value
}

function parseByList(c: TokenCursor, by: string[]): void {
  while (!c.atEnd()) {
    const t = c.next('a BY field')
    if (t.type === 'comma') continue
    if (t.type !== 'word') throw c.error(`expected a BY field, found ${describeToken(t)}`, t)
    if (c.peek()?.type === 'op') throw c.error(`\`${t.raw}=\` in the BY list is not supported (span= and other BY options)`, t)
    if (!t.value.startsWith('Processes.')) {
      throw c.error(`BY field \`${t.value}\` is not a field of ${SUPPORTED_DATAMODEL} (expected Processes.<field>)`, t)
    }
    by.push(t.value)
  }
  if (by.length === 0) throw c.errorAtEnd('BY needs at least one field')
}
