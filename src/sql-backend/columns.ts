import { CIM_PROCESS_FIELDS, type CimProcessField } from '../detection/index.js'
import { eventFieldOf } from '../detection/index.js'

/**
 * The only column names that ever appear in generated SQL: the 20 CIM columns of `process_events`
 * (one TEXT column per CIM field, named exactly like it). Rule text selects among them through
 * the engine's own resolver (`Processes.<f>` → CIM field `<f>`), so a field the engine treats as
 * always null has no column here either, and no identifier is ever taken from rule text.
 */

const SAFE_IDENTIFIER = /^[a-z_][a-z0-9_]*$/

const QUOTED: ReadonlyMap<CimProcessField, string> = new Map(
  CIM_PROCESS_FIELDS.map((f) => {
    // The list is a compile-time constant; the check keeps a future edit from smuggling in quotes.
    if (!SAFE_IDENTIFIER.test(f)) throw new Error(`CIM field ${f} is not a plain SQL identifier`)
    // Always quoted: `user` is a reserved word in Postgres.
    return [f, `"${f}"`]
  }),
)

/** The quoted column of a CIM field, e.g. `"user"`. */
export function quotedColumn(field: CimProcessField): string {
  return QUOTED.get(field)!
}

/** The quoted column a data-model field name (`Processes.process_name`) reads, or null when it names none. */
export function columnOfDataModelField(name: string): string | null {
  const field = eventFieldOf(name)
  return field === null ? null : quotedColumn(field)
}
