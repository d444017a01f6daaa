/**
 * Collects bind parameters while SQL text is built: every value taken from a rule or a scope
 * reaches Postgres as `$n`, never as text inside the statement, so no rule can change the SQL.
 */

/** A value bound to a placeholder: text, a text array (for `= ANY(…)`) or an ISO timestamp. */
export type SqlParamValue = string | readonly string[]

/** The bind parameters of one statement, numbered from `$1` in the order they are added. */
export class SqlParams {
  private readonly list: SqlParamValue[] = []

  /** Binds `value` and returns its placeholder, e.g. `$3`. */
  add(value: SqlParamValue): string {
    this.list.push(typeof value === 'string' ? value : [...value])
    return `$${this.list.length}`
  }

  /** The bound values, in placeholder order (a copy, ready for `client.query(text, values)`). */
  get values(): unknown[] {
    return [...this.list]
  }
}
