import { CIM_PROCESS_FIELDS, isProcessField, type CimProcessField } from '../event.js'
import { EXCEPTION_LIMITS, EXCEPTION_OPERATORS, type ExceptionEntry, type ExceptionOperator } from './rule-exception.js'

/**
 * Checks exception entries as a caller sends them (`value` for one value, `values` for IS_ONE_OF)
 * and returns them in the stored shape, or throws an ExceptionEntryError naming the entry, what is
 * wrong and what would be accepted.
 */

/** An entry as sent by a client. */
export interface ExceptionEntryInput {
  readonly field: string
  readonly operator: string
  readonly value?: string | null
  readonly values?: readonly string[] | null
}

/** A bad entry: `path` names it (`entries[1].values[3]`), the message says what is wrong there. */
export class ExceptionEntryError extends Error {
  override readonly name = 'ExceptionEntryError'
  constructor(
    readonly path: string,
    readonly reason: string,
  ) {
    super(`${path}: ${reason}`)
  }
}

const PREFIX = 'Processes.'

/** `process_name` or `Processes.process_name` → `process_name`; null for anything else. */
export function exceptionFieldOf(name: string): CimProcessField | null {
  const bare = name.startsWith(PREFIX) ? name.slice(PREFIX.length) : name
  return isProcessField(bare) ? bare : null
}

const isOperator = (op: string): op is ExceptionOperator => (EXCEPTION_OPERATORS as readonly string[]).includes(op)

/** Characters as Postgres counts them (code points), not UTF-16 units. */
const chars = (s: string): number => [...s].length

export function checkExceptionEntries(entries: readonly ExceptionEntryInput[], path = 'entries'): ExceptionEntry[] {
  if (entries.length === 0) throw new ExceptionEntryError(path, 'an exception needs at least one entry')
  if (entries.length > EXCEPTION_LIMITS.entries) throw new ExceptionEntryError(path, `at most ${EXCEPTION_LIMITS.entries} entries (got ${entries.length})`)
  return entries.map((entry, i) => checkEntry(entry, `${path}[${i}]`))
}

function checkEntry(entry: ExceptionEntryInput, path: string): ExceptionEntry {
  const field = exceptionFieldOf(entry.field)
  if (field === null) {
    throw new ExceptionEntryError(
      `${path}.field`,
      `unknown field "${entry.field}"; an exception tests one of the CIM Endpoint.Processes fields (with or without "Processes."): ${CIM_PROCESS_FIELDS.join(', ')}`,
    )
  }
  if (!isOperator(entry.operator)) throw new ExceptionEntryError(`${path}.operator`, `unknown operator "${entry.operator}"; expected one of ${EXCEPTION_OPERATORS.join(', ')}`)
  const values = entry.operator === 'IS_ONE_OF' ? listOf(entry, path) : oneValueOf(entry, path)
  values.forEach((v, i) => checkValue(v, entry.operator === 'IS_ONE_OF' ? `${path}.values[${i}]` : `${path}.value`))
  return { field, operator: entry.operator, values }
}

function listOf(entry: ExceptionEntryInput, path: string): string[] {
  if (entry.value != null) throw new ExceptionEntryError(`${path}.value`, 'IS_ONE_OF takes a list: send `values`, not `value`')
  if (entry.values == null || entry.values.length === 0) throw new ExceptionEntryError(`${path}.values`, 'IS_ONE_OF needs at least one value in `values`')
  if (entry.values.length > EXCEPTION_LIMITS.values) throw new ExceptionEntryError(`${path}.values`, `at most ${EXCEPTION_LIMITS.values} values (got ${entry.values.length})`)
  return [...entry.values]
}

function oneValueOf(entry: ExceptionEntryInput, path: string): string[] {
  if (entry.values != null) throw new ExceptionEntryError(`${path}.values`, `${entry.operator} takes one value: send \`value\` (IS_ONE_OF takes a list)`)
  if (entry.value == null) throw new ExceptionEntryError(`${path}.value`, `${entry.operator} needs a value`)
  return [entry.value]
}

function checkValue(value: string, path: string): void {
  if (value === '') throw new ExceptionEntryError(path, 'must not be empty')
  if (value.includes('\u0000')) throw new ExceptionEntryError(path, 'must not contain U+0000 (NUL)')
  const n = chars(value)
  if (n > EXCEPTION_LIMITS.valueChars) throw new ExceptionEntryError(path, `at most ${EXCEPTION_LIMITS.valueChars} characters (got ${n})`)
}
