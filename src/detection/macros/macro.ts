/**
 * A search macro as Splunk's macros.conf and ESCU's macros/*.yml define it. Macros are data: the
 * engine ships a few builtins, imports ESCU's files and lets a tenant override any of them.
 */

/** One macro definition; `args` are the argument names substituted as `$name$` in `definition`. */
export interface MacroDefinition {
  readonly name: string
  readonly args: string[]
  readonly definition: string
  readonly description?: string
  /** The YAML document it was imported from, verbatim, when it came from YAML. */
  readonly yaml?: string
}

/** Splunk's key for a macro: `name` without arguments, `name(N)` with N arguments. */
export function macroKey(name: string, arity: number): string {
  return arity === 0 ? name : `${name}(${arity})`
}

/** Splits a Splunk key such as `drop_dm_object_name(1)` into name and arity. */
export function parseMacroKey(key: string): { name: string; arity: number } {
  const m = /^(.*)\((\d+)\)$/.exec(key)
  return m ? { name: m[1]!, arity: Number(m[2]) } : { name: key, arity: 0 }
}
