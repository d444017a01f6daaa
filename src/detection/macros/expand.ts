import { RuleSyntaxError } from '../errors.js'
import { tokenize, type Token } from '../spl/tokenize.js'
import type { MacroDefinition } from './macro.js'
import type { MacroSet } from './macro-set.js'

/**
 * Macro expansion at token level. Splunk expands macros textually before parsing; expanding the
 * tokens of each definition instead gives the same tree for every ESCU search (macros there are
 * whole values, whole options or whole parenthesised predicates) while letting every expanded token
 * keep the position of the macro call, so errors still point into the rule's own search text.
 */

/** Expansion deeper than this is reported as an error (it is almost always a cycle). */
export const MAX_MACRO_DEPTH = 16

/** Replaces every macro token in `tokens` by its expanded definition, recursively. */
export function expandMacros(tokens: readonly Token[], macros: MacroSet, via: readonly string[] = []): Token[] {
  const out: Token[] = []
  for (const token of tokens) {
    if (token.type !== 'macro') out.push(token)
    else for (const t of expandMacroCall(token, macros, via)) out.push(t)
  }
  return out
}

/** Expands one macro token; its output tokens carry the call's position and the macro chain. */
export function expandMacroCall(call: Token, macros: MacroSet, via: readonly string[] = []): Token[] {
  const args = call.args ?? []
  const chain = [...(call.via ?? via), call.value]
  if (chain.length > MAX_MACRO_DEPTH) {
    throw new RuleSyntaxError(`macro expansion deeper than ${MAX_MACRO_DEPTH} levels: ${chain.join(' → ')}`, call.pos)
  }
  const def = lookup(call, macros)
  const text = substituteArgs(def, args)
  let inner: Token[]
  try {
    inner = tokenize(text)
  } catch (e) {
    if (!(e instanceof RuleSyntaxError)) throw e
    const reason = `in macro \`${call.value}\` (its line ${e.line}, column ${e.column}): ${e.reason}`
    throw new RuleSyntaxError(reason, call.pos)
  }
  const placed = inner.map((t): Token => ({ ...t, pos: call.pos, via: chain }))
  return expandMacros(placed, macros, chain)
}

/** The definition text with each `$arg$` replaced by the call's argument, as Splunk does. */
export function substituteArgs(def: MacroDefinition, args: readonly string[]): string {
  let text = def.definition
  def.args.forEach((name, i) => {
    text = text.split(`$${name}$`).join(args[i] ?? '')
  })
  return text
}

function lookup(call: Token, macros: MacroSet): MacroDefinition {
  const arity = call.args?.length ?? 0
  const def = macros.get(call.value, arity)
  if (def !== undefined) return def
  const known = macros.aritiesOf(call.value)
  if (known.length > 0) {
    const expected = known.join(' or ')
    throw new RuleSyntaxError(`macro \`${call.value}\` takes ${expected} argument(s), got ${arity}`, call.pos)
  }
  throw new RuleSyntaxError(`unknown macro \`${call.value}\``, call.pos)
}
