import type { ProcessEvent } from '../event.js'
import { compileWildcard } from '../match/wildcard.js'
import { eventFieldOf } from '../rule/compile.js'
import type { WhereNode } from '../spl/ast.js'
import { displayField, formatLiteral, quoteValue } from './format-where.js'

/**
 * Why an event matched (or not): every leaf term of the WHERE tree with the event's value of its
 * field, e.g. `process=*tcp*` ← `ngrok.exe tcp 3389`. For `IN` lists the term names the value that
 * matched. `satisfied` accounts for enclosing NOTs: a term under one NOT is satisfied when it
 * does not match.
 */

export interface TermExplanation {
  /** The term as a condition, e.g. `process_name="ngrok.exe"` or `process="*tcp*"`. */
  readonly term: string
  readonly field: string
  /** The event's value of the field, or null when the event has none. */
  readonly value: string | null
  /** Whether the term itself is true for the event. */
  readonly matched: boolean
  /** Whether it is true in the direction the rule wants (negated under an odd number of NOTs). */
  readonly satisfied: boolean
}

export function explainMatch(where: WhereNode | null, event: ProcessEvent): TermExplanation[] {
  const out: TermExplanation[] = []
  if (where) walk(where, event, false, out)
  return out
}

function valueOf(event: ProcessEvent, field: string): string | null {
  const f = eventFieldOf(field)
  return f === null ? null : event[f]
}

function walk(node: WhereNode, event: ProcessEvent, negated: boolean, out: TermExplanation[]): void {
  switch (node.kind) {
    case 'all':
      return
    case 'not':
      return walk(node.operand, event, !negated, out)
    case 'and':
    case 'or':
      for (const o of node.operands) walk(o, event, negated, out)
      return
    case 'compare': {
      const value = valueOf(event, node.field)
      const hit = value !== null && compileWildcard(node.value).test(value.toLowerCase())
      // `!=` needs the field to be present, as in Splunk.
      const matched = node.op === 'eq' ? hit : value !== null && !hit
      const op = node.op === 'eq' ? '=' : '!='
      out.push({ term: `${displayField(node.field)}${op}${quoteValue(node.value)}`, field: displayField(node.field), value, matched, satisfied: matched !== negated })
      return
    }
    case 'literal': {
      const value = valueOf(event, node.field)
      const lowered = value?.toLowerCase()
      const hit = lowered === undefined ? undefined : node.values.find((v) => (node.match === 'equals' ? lowered === v.toLowerCase() : lowered.includes(v.toLowerCase())))
      const term = formatLiteral(node.field, node.match, hit !== undefined ? [hit] : node.values)
      out.push({ term, field: displayField(node.field), value, matched: hit !== undefined, satisfied: (hit !== undefined) !== negated })
      return
    }
    case 'in': {
      const value = valueOf(event, node.field)
      const lowered = value?.toLowerCase()
      const hit = lowered === undefined ? undefined : node.values.find((v) => compileWildcard(v).test(lowered))
      const term = hit !== undefined ? `${displayField(node.field)}=${quoteValue(hit)}` : `${displayField(node.field)} IN (${node.values.map(quoteValue).join(', ')})`
      out.push({ term, field: displayField(node.field), value, matched: hit !== undefined, satisfied: (hit !== undefined) !== negated })
      return
    }
  }
}
