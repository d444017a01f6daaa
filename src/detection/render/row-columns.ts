import type { GroupedRow } from '../group/grouped-row.js'
import { ctime, epochSeconds } from './ctime.js'
import type { ShownValue } from './column-value.js'

/**
 * The final output columns of a row by name, as the end of the search shows them: BY values,
 * then aggregates, with the columns the search ctime()s formatted as `%Y-%m-%dT%H:%M:%S` and
 * other times as epoch seconds (Splunk's unconverted `_time`).
 */
export function rowColumns(row: GroupedRow): Map<string, ShownValue> {
  const out = new Map<string, ShownValue>(Object.entries(row.fields))
  const ctimed = new Set(row.rule.ctimeFields)
  for (const a of row.rule.aggregations) {
    if (out.has(a.outputName)) continue
    const v = row.aggregates[a.outputName]
    if (v === undefined) continue
    out.set(a.outputName, showTime(v, a.kind === 'min' || a.kind === 'max', ctimed.has(a.outputName)))
  }
  return out
}

/** A time aggregate as shown: ctime'd text or epoch seconds. */
export function showTime(v: ShownValue, isTime: boolean, ctimed: boolean): ShownValue {
  if (!isTime || typeof v !== 'number') return v
  return ctimed ? ctime(v) : epochSeconds(v)
}
