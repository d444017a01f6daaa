import type { WhereNode } from './ast.js'
import { describeToken, isKeyword, type TokenCursor } from './cursor.js'
import type { Token } from './tokenize.js'

/**
 * The boolean part of the search language, shared by tstats WHERE and `search` filters.
 * Precedence follows the Splunk search manual ("Expressions and predicates"): NOT applies to the
 * next term only, OR binds tighter than AND, and juxtaposition is an implicit AND — so
 * `a b OR c` is `a AND (b OR c)` and `NOT a b` is `(NOT a) AND b`. Keywords are upper case only.
 *
 *   conjunction := disjunction ( [AND] disjunction )*
 *   disjunction := unary ( OR unary )*
 *   unary       := NOT unary | primary
 *   primary     := '(' conjunction ')' | '*' | field ('=' | '!=') value | field IN '(' value (','? value)* ')'
 *   field       := word | quoted string (ESCU writes both `Processes.x=` and `"Processes.x"=`)
 */

/** Parses a predicate until `stop(token)` is true at the top level, or the tokens run out. */
export function parsePredicate(c: TokenCursor, stop: (t: Token) => boolean = () => false): WhereNode {
  const first = c.peek()
  if (first === undefined || stop(first)) {
    throw first === undefined ? c.errorAtEnd('empty search predicate') : c.error('empty search predicate', first)
  }
  return parseConjunction(c, stop)
}

function parseConjunction(c: TokenCursor, stop: (t: Token) => boolean): WhereNode {
  const operands = [parseDisjunction(c, stop)]
  for (;;) {
    const t = c.peek()
    if (t === undefined || stop(t) || t.type === 'rparen') break
    if (isKeyword(t, 'AND')) c.next('AND')
    operands.push(parseDisjunction(c, stop))
  }
  return operands.length === 1 ? operands[0]! : { kind: 'and', operands }
}

function parseDisjunction(c: TokenCursor, stop: (t: Token) => boolean): WhereNode {
  const operands = [parseUnary(c, stop)]
  while (isKeyword(c.peek(), 'OR')) {
    c.next('OR')
    operands.push(parseUnary(c, stop))
  }
  return operands.length === 1 ? operands[0]! : { kind: 'or', operands }
}

function parseUnary(c: TokenCursor, stop: (t: Token) => boolean): WhereNode {
  if (isKeyword(c.peek(), 'NOT')) {
    c.enter(c.next('NOT'))
    const operand = parseUnary(c, stop)
    c.leave()
    return { kind: 'not', operand }
  }
  return parsePrimary(c, stop)
}

function parsePrimary(c: TokenCursor, stop: (t: Token) => boolean): WhereNode {
  const t = c.next('a search term')
  if (stop(t)) throw c.error(`expected a search term before ${describeToken(t)}`, t)
  if (t.type === 'lparen') {
    c.enter(t)
    const inner = parseConjunction(c, () => false)
    const close = c.next('`)`')
    if (close.type !== 'rparen') throw c.error(`expected \`)\`, found ${describeToken(close)}`, close)
    c.leave()
    return inner
  }
  if (t.type === 'word' && t.raw === '*') return { kind: 'all' }
  // A quoted field name (`"Processes.process"="*x*"`) is a field when a comparison follows.
  const next = c.peek()
  const quotedField = t.type === 'string' && (next?.type === 'op' || isKeyword(next, 'IN'))
  if (!quotedField && (t.type !== 'word' || ['AND', 'OR', 'NOT', 'IN'].includes(t.raw))) {
    throw c.error(`expected a search term, found ${describeToken(t)}`, t)
  }
  return parseComparison(c, t)
}

function parseComparison(c: TokenCursor, field: Token): WhereNode {
  const op = c.peek()
  if (op !== undefined && op.type === 'op') {
    c.next('an operator')
    if (op.value !== '=' && op.value !== '!=') {
      throw c.error(`comparison \`${op.value}\` is not supported (only =, != and IN)`, op)
    }
    const value = c.next(`a value after \`${op.value}\``)
    if (value.type !== 'word' && value.type !== 'string') {
      throw c.error(`expected a value after \`${op.value}\`, found ${describeToken(value)}`, value)
    }
    return { kind: 'compare', field: field.value, op: op.value === '=' ? 'eq' : 'ne', value: value.value }
  }
  if (isKeyword(op, 'IN')) {
    c.next('IN')
    return { kind: 'in', field: field.value, values: parseValueList(c) }
  }
  throw c.error(`free-text term \`${field.raw}\` is not supported; write field=value`, field)
}

function parseValueList(c: TokenCursor): string[] {
  const open = c.next('`(` after IN')
  if (open.type !== 'lparen') throw c.error(`expected \`(\` after IN, found ${describeToken(open)}`, open)
  const values: string[] = []
  for (;;) {
    const t = c.next('a value or `)`')
    if (t.type === 'rparen') break
    if (t.type === 'comma') continue
    if (t.type !== 'word' && t.type !== 'string') throw c.error(`expected a value in IN list, found ${describeToken(t)}`, t)
    values.push(t.value)
  }
  if (values.length === 0) throw c.error('IN list is empty', open)
  return values
}
