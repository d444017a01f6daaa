import { BUILTIN_MACROS, DEFAULT_FILTER_DEFINITION, isFilterMacroName } from './builtin.js'
import { macroKey, parseMacroKey, type MacroDefinition } from './macro.js'

/**
 * An immutable lookup of macros by Splunk key (`name` or `name(N)`). Layers are applied in order
 * and a later definition of the same key wins, mirroring Splunk's app/user precedence: builtins,
 * then imported ESCU macros, then tenant overrides.
 */
export class MacroSet {
  private readonly byKey: ReadonlyMap<string, MacroDefinition>

  private constructor(byKey: ReadonlyMap<string, MacroDefinition>) {
    this.byKey = byKey
  }

  /** A set holding exactly `definitions` (later duplicates win), without builtins. */
  static of(definitions: Iterable<MacroDefinition>): MacroSet {
    const map = new Map<string, MacroDefinition>()
    for (const d of definitions) map.set(macroKey(d.name, d.args.length), d)
    return new MacroSet(map)
  }

  /** A new set with `definitions` layered on top of this one. */
  with(definitions: Iterable<MacroDefinition>): MacroSet {
    const map = new Map(this.byKey)
    for (const d of definitions) map.set(macroKey(d.name, d.args.length), d)
    return new MacroSet(map)
  }

  /**
   * Finds a macro by name and arity, or by a Splunk key such as `drop_dm_object_name(1)` when
   * `arity` is omitted. An undefined `<name>_filter` macro resolves to contentctl's `search *`.
   */
  get(name: string, arity?: number): MacroDefinition | undefined {
    const key = arity === undefined ? parseMacroKey(name) : { name, arity }
    const found = this.byKey.get(macroKey(key.name, key.arity))
    if (found !== undefined) return found
    if (key.arity === 0 && isFilterMacroName(key.name)) {
      return { name: key.name, args: [], definition: DEFAULT_FILTER_DEFINITION }
    }
    return undefined
  }

  /** Arities under which `name` is defined, for "wrong number of arguments" messages. */
  aritiesOf(name: string): number[] {
    const out: number[] = []
    for (const d of this.byKey.values()) if (d.name === name) out.push(d.args.length)
    return out.sort((a, b) => a - b)
  }

  /** All explicit definitions, in key order. */
  definitions(): MacroDefinition[] {
    return [...this.byKey.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, d]) => d)
  }
}

/** Builds the macro set a tenant runs with: builtins, then each layer in order (later wins). */
export function createMacroSet(...layers: ReadonlyArray<readonly MacroDefinition[]>): MacroSet {
  let set = MacroSet.of(BUILTIN_MACROS)
  for (const layer of layers) set = set.with(layer)
  return set
}
