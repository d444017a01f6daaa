import { stat } from 'node:fs/promises'
import { holdsYaml } from '../../scan/log-files.js'
import { CliError } from '../cli-error.js'
import { USAGE as COMMAND_USAGE } from '../command-help.js'

/**
 * Arguments of `watchpost scan [--rules PATH…] [--format json|table] FILE…`. `--rules` takes every
 * following argument that is a rule path — a .yml/.yaml file or a folder holding such files — so
 * that `--rules a.yml rules/ logs/ log.xml` needs no separator (a folder without YAML is a log
 * folder); `--rules=PATH`, a repeated `--rules` and `--` (end of options) work too. FILE may be a
 * folder (every file below it); `-` is standard input.
 */

export interface ScanArgs {
  rulePaths: string[]
  format: 'json' | 'table'
  files: string[]
}

async function isRulePath(arg: string): Promise<boolean> {
  if (arg === '-' || arg.startsWith('-')) return false
  if (/\.ya?ml$/i.test(arg)) return true
  try {
    return (await stat(arg)).isDirectory() && (await holdsYaml(arg))
  } catch {
    return false
  }
}

export async function parseScanArgs(args: string[]): Promise<ScanArgs> {
  const out: ScanArgs = { rulePaths: [], format: 'json', files: [] }
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!
    if (arg === '--') {
      out.files.push(...args.slice(i + 1))
      break
    }
    if (arg === '--rules' || arg.startsWith('--rules=')) {
      if (arg.includes('=')) out.rulePaths.push(arg.slice('--rules='.length))
      const before = out.rulePaths.length
      while (i + 1 < args.length && (await isRulePath(args[i + 1]!))) out.rulePaths.push(args[++i]!)
      if (!arg.includes('=') && out.rulePaths.length === before) throw new CliError('scan: --rules needs a rule file (.yml, .yaml) or folder', 2)
      continue
    }
    if (arg === '--format' || arg.startsWith('--format=')) {
      const value = arg.includes('=') ? arg.slice('--format='.length) : args[++i]
      if (value !== 'json' && value !== 'table') throw new CliError(`scan: --format must be json or table, not ${value ?? '(missing)'}`, 2)
      out.format = value
      continue
    }
    if (arg.startsWith('-') && arg !== '-') throw new CliError(`scan: unknown option ${arg}`, 2)
    out.files.push(arg)
  }
  if (out.files.length === 0) throw new CliError(COMMAND_USAGE.scan, 2)
  return out
}
