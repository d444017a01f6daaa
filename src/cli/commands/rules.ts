import { checkRule, createMacroSet } from '../../detection/index.js'
import { loadRuleFiles } from '../../scan/rule-files.js'
import { CliError } from '../cli-error.js'
import { USAGE as COMMAND_USAGE } from '../command-help.js'

/**
 * `watchpost rules check PATH…`: one line per rule, `ok` or the error with its position; macros
 * found in the same paths are used to compile the rules. Exit status 1 when anything fails.
 */
export async function run(args: string[]): Promise<number> {
  const [sub, ...paths] = args
  if (sub !== 'check' || paths.length === 0) throw new CliError(COMMAND_USAGE.rules, 2)
  let loaded
  try {
    loaded = await loadRuleFiles(paths)
  } catch (err) {
    throw new CliError((err as Error).message)
  }
  const macros = createMacroSet(loaded.macros)
  let failed = 0
  for (const e of loaded.errors) {
    failed++
    process.stdout.write(`error ${[e.file, e.line, e.column].filter((x) => x !== undefined).join(':')}: ${e.field ? `${e.field}: ` : ''}${e.message}\n`)
  }
  for (const { rule, file } of loaded.rules) {
    const result = checkRule(rule, macros)
    if (result.ok) {
      process.stdout.write(`ok    ${file}: ${rule.name}\n`)
    } else {
      failed++
      process.stdout.write(`error ${file}: ${rule.name}: search line ${result.line}, column ${result.column}: ${result.reason}\n`)
    }
  }
  process.stdout.write(`${loaded.rules.length} rule(s), ${loaded.macros.length} macro(s), ${failed} error(s)\n`)
  return failed > 0 ? 1 : 0
}
