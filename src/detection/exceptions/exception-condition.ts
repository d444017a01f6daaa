import type { WhereNode } from '../spl/ast.js'
import type { ExceptionEntry, ExceptionOperator, RuleException } from './rule-exception.js'

/**
 * An exception as a WHERE tree of the engine's own nodes, so that the in-memory matcher and the SQL
 * backend both evaluate it by construction. IS, IS_ONE_OF and CONTAINS become literal comparisons
 * (no character of a value is a pattern); MATCHES becomes the `field=pattern` term a search would
 * have. Fields are the data-model names the tstats WHERE resolves (`Processes.process_name`).
 */

type EntryCondition = (field: string, values: readonly string[]) => WhereNode

const CONDITIONS = {
  IS: (field, values) => ({ kind: 'literal', field, match: 'equals', values }),
  IS_ONE_OF: (field, values) => ({ kind: 'literal', field, match: 'equals', values }),
  MATCHES: (field, values) => (values.length === 1 ? { kind: 'compare', field, op: 'eq', value: values[0]! } : { kind: 'in', field, values }),
  CONTAINS: (field, values) => ({ kind: 'literal', field, match: 'contains', values }),
} satisfies Record<ExceptionOperator, EntryCondition>

/** The condition of one entry. */
export function entryCondition(entry: ExceptionEntry): WhereNode {
  return CONDITIONS[entry.operator](`Processes.${entry.field}`, entry.values)
}

/** True for the events the exception leaves out: every entry holds. */
export function exceptionCondition(exception: RuleException): WhereNode {
  const entries = exception.entries.map(entryCondition)
  return entries.length === 1 ? entries[0]! : { kind: 'and', operands: entries }
}
