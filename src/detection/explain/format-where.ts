import type { LiteralMatch, WhereNode } from '../spl/ast.js'

/**
 * A normalized, human-readable form of a WHERE tree: data-model prefixes dropped, values quoted,
 * and the grouping made explicit with parentheses (SPL's own precedence, OR before AND, surprises
 * readers; the printed form never depends on it).
 */

/** `Processes.process_name` → `process_name`. */
export const displayField = (field: string): string => field.replace(/^Processes\./, '')

/** A value as SPL would accept it: quoted, with `"` and `\` escaped. */
export const quoteValue = (value: string): string => `"${value.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`

/**
 * A literal comparison (rule exceptions) in the words of the exception operators, since SPL has no
 * syntax for it: `process_name IS "a*b"`, `user IS ONE OF ("x", "y")`, `process CONTAINS "-k"`.
 */
export function formatLiteral(field: string, match: LiteralMatch, values: readonly string[]): string {
  const name = displayField(field)
  if (match === 'contains') return values.map((v) => `${name} CONTAINS ${quoteValue(v)}`).join(' OR ')
  return values.length === 1 ? `${name} IS ${quoteValue(values[0]!)}` : `${name} IS ONE OF (${values.map(quoteValue).join(', ')})`
}

export function formatWhere(node: WhereNode | null): string {
  return node === null ? '*' : format(node, 'top')
}

function format(node: WhereNode, parent: 'top' | 'and' | 'or' | 'not'): string {
  switch (node.kind) {
    case 'all':
      return '*'
    case 'compare':
      return `${displayField(node.field)} ${node.op === 'eq' ? '=' : '!='} ${quoteValue(node.value)}`
    case 'in':
      return `${displayField(node.field)} IN (${node.values.map(quoteValue).join(', ')})`
    case 'literal':
      return formatLiteral(node.field, node.match, node.values)
    case 'not':
      return `NOT ${format(node.operand, 'not')}`
    case 'and': {
      const text = node.operands.map((o) => format(o, 'and')).join(' AND ')
      return parent === 'top' ? text : `(${text})`
    }
    case 'or': {
      const text = node.operands.map((o) => format(o, 'or')).join(' OR ')
      return parent === 'top' ? text : `(${text})`
    }
  }
}
