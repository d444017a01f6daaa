import { isFilterMacroName } from '../macros/builtin.js'
import { expandMacroCall } from '../macros/expand.js'
import type { MacroSet } from '../macros/macro-set.js'
import type { StageNode } from './ast.js'
import { TokenCursor, describeToken, isWordCI } from './cursor.js'
import { parsePredicate } from './parse-predicate.js'
import type { Token } from './tokenize.js'

/**
 * The pipeline stages a pure ESCU detection may have after tstats. They are recognised by macro
 * name (a registry, one entry per stage); their definitions are not interpreted, except for the
 * per-detection `<name>_filter` macro, whose definition — contentctl's default `search *` or a
 * tenant's override such as `search user!=svc_tunnel` — is parsed as a `search` predicate over the
 * grouped rows. Any other command (`join`, `where`, `eval`, …) is rejected, never ignored.
 */

type StageParser = (call: Token, macros: MacroSet, c: TokenCursor) => StageNode

const unquote = (arg: string): string => (arg.length >= 2 && arg.startsWith('"') && arg.endsWith('"') ? arg.slice(1, -1) : arg)

function singleArg(call: Token, c: TokenCursor): string {
  const args = call.args ?? []
  if (args.length !== 1) throw c.error(`macro \`${call.value}\` takes 1 argument, got ${args.length}`, call)
  return unquote(args[0]!)
}

const STAGE_MACROS: Readonly<Record<string, StageParser>> = {
  drop_dm_object_name: (call, _macros, c) => {
    const object = singleArg(call, c)
    if (object !== 'Processes') throw c.error(`drop_dm_object_name(${object}): only the Processes object is supported`, call)
    return { kind: 'drop_dm_object_name', object }
  },
  security_content_ctime: (call, _macros, c) => ({ kind: 'ctime', field: singleArg(call, c) }),
}

const SUPPORTED = 'only `drop_dm_object_name(Processes)`, `security_content_ctime(<field>)` and the `<name>_filter` macro may follow tstats'

/** Parses one pipeline segment (the tokens between two pipes, unexpanded). */
export function parseStage(segment: readonly Token[], pipe: Token, macros: MacroSet): StageNode {
  const c = new TokenCursor(segment, pipe.pos)
  const head = segment[0]
  if (head === undefined) throw c.error('empty pipeline stage after `|`', pipe)
  if (head.type !== 'macro') {
    const what = head.type === 'word' ? `pipeline command \`${head.raw}\`` : describeToken(head)
    throw c.error(`unsupported ${what}; ${SUPPORTED}`, head)
  }
  const extra = segment[1]
  if (extra !== undefined) throw c.error(`unexpected ${describeToken(extra)} after macro \`${head.value}\``, extra)
  const parser = Object.hasOwn(STAGE_MACROS, head.value) ? STAGE_MACROS[head.value] : undefined
  if (parser !== undefined) return parser(head, macros, c)
  if (isFilterMacroName(head.value) && (head.args ?? []).length === 0) return parseFilterStage(head, macros)
  throw c.error(`unsupported pipeline macro \`${head.value}\`; ${SUPPORTED}`, head)
}

function parseFilterStage(call: Token, macros: MacroSet): StageNode {
  const tokens = expandMacroCall(call, macros)
  const c = new TokenCursor(tokens, call.pos)
  const pipe = tokens.find((t) => t.type === 'pipe')
  if (pipe !== undefined) throw c.error(`filter macro \`${call.value}\` must be a single \`search\` command`, pipe)
  const head = tokens[0]
  if (head === undefined || !isWordCI(head, 'search')) {
    const found = head === undefined ? 'nothing' : describeToken(head)
    throw c.error(`filter macro \`${call.value}\` must expand to \`search <predicate>\`, found ${found}`, head ?? call)
  }
  c.next('search')
  if (c.atEnd()) return { kind: 'filter', macro: call.value, predicate: { kind: 'all' } }
  const predicate = parsePredicate(c)
  const rest = c.peek()
  if (rest !== undefined) throw c.error(`unexpected ${describeToken(rest)} in filter macro \`${call.value}\``, rest)
  return { kind: 'filter', macro: call.value, predicate }
}
