import type { Column } from '../rule/columns.js'
import type { RowValues } from '../rule/compiled-rule.js'
import { ctime, epochSeconds } from './ctime.js'

/** A column's value as Splunk shows it: ctime'd times as strings, other times as epoch seconds. */
export type ShownValue = string | number | readonly string[]

/** The value of `column` in `row`, formatted with ctime when `ctimed`; null when the row lacks it. */
export function columnValue(row: RowValues, column: Column, ctimed: boolean): ShownValue | null {
  if (column.kind === 'by') return row.fields[column.finalName] ?? null
  const v = row.aggregates[column.finalName]
  if (v === undefined) return null
  if ((column.kind === 'min' || column.kind === 'max') && typeof v === 'number') return ctimed ? ctime(v) : epochSeconds(v)
  return v
}

/** The value as the search language compares it: lower-cased text, multivalue as a list, empty as null. */
export function comparableValue(v: ShownValue | null): string | readonly string[] | null {
  if (v === null) return null
  if (typeof v === 'number') return String(v)
  if (typeof v === 'string') return v.toLowerCase()
  return v.length === 0 ? null : v.map((x) => x.toLowerCase())
}
