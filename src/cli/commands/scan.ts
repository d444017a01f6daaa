import { createReadStream } from 'node:fs'
import { access } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { compileLoadedRules, scanLogs, type ScanInput } from '../../scan/offline-scan.js'
import { BUNDLED_RULES_DIR } from '../../rules/bundled.js'
import { loadRuleFiles } from '../../scan/rule-files.js'
import { CliError } from '../cli-error.js'
import { formatTable } from './scan-table.js'
import { parseScanArgs } from './scan-args.js'

/** `watchpost scan`: ESCU rules over local log files, no services. Exit 1 when a rule failed to load. */
export async function run(args: string[]): Promise<number> {
  const parsed = await parseScanArgs(args)
  const rulePaths = parsed.rulePaths.length > 0 ? parsed.rulePaths : [fileURLToPath(BUNDLED_RULES_DIR)]
  let loaded
  try {
    loaded = await loadRuleFiles(rulePaths)
  } catch (err) {
    throw new CliError((err as Error).message)
  }
  const { compiled, ruleErrors } = compileLoadedRules(loaded)
  for (const e of ruleErrors) {
    const where = [e.file, e.line, e.column].filter((x) => x !== undefined).join(':')
    process.stderr.write(`watchpost: rule error: ${where}: ${e.rule ? `${e.rule}: ` : ''}${e.message}\n`)
  }
  if (compiled.length === 0) throw new CliError('scan: no rule could be loaded')
  const inputs: ScanInput[] = []
  for (const file of parsed.files) {
    if (file === '-') {
      inputs.push({ name: '-', read: () => process.stdin })
      continue
    }
    try {
      await access(file)
    } catch {
      throw new CliError(`scan: cannot read log file ${file}`)
    }
    inputs.push({ name: file, read: () => createReadStream(file, { highWaterMark: 1024 * 1024 }) })
  }
  const result = await scanLogs(compiled, inputs)
  const output = parsed.format === 'json' ? JSON.stringify({ detections: result.detections, stats: result.stats }, null, 2) + '\n' : formatTable(result)
  process.stdout.write(output)
  return ruleErrors.length > 0 ? 1 : 0
}
