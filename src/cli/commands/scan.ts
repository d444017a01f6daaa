import { createReadStream } from 'node:fs'
import { stat } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { compileLoadedRules, scanLogs, type ScanInput } from '../../scan/offline-scan.js'
import { BUNDLED_RULES_DIR } from '../../rules/bundled.js'
import { expandLogPath, LogPathError } from '../../scan/log-files.js'
import { loadRuleFiles } from '../../scan/rule-files.js'
import { CliError } from '../cli-error.js'
import { bar, formatBytes, formatCount, formatDuration, progressLine } from '../progress-bar.js'
import { formatTable } from './scan-table.js'
import { parseScanArgs } from './scan-args.js'

/**
 * A scan shorter than this shows no progress bar at all (WATCHPOST_PROGRESS_DELAY_MS, default
 * 500 ms; 0 shows it from the start).
 */
function progressDelayMs(): number {
  const ms = Number(process.env.WATCHPOST_PROGRESS_DELAY_MS ?? 500)
  return Number.isFinite(ms) && ms >= 0 ? ms : 500
}

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
  // Standard input has no known size: the bar then shows bytes and rates without a fraction.
  let totalBytes: number | null = 0
  for (const file of parsed.files) {
    if (file === '-') {
      inputs.push({ name: '-', read: () => process.stdin })
      totalBytes = null
      continue
    }
    let files: string[]
    try {
      files = await expandLogPath(file)
    } catch (err) {
      throw new CliError(`scan: ${err instanceof LogPathError && err.reason === 'empty folder' ? err.message : `cannot read log file ${file}`}`)
    }
    for (const f of files) {
      if (totalBytes !== null) totalBytes += (await stat(f)).size
      inputs.push({ name: f, read: () => createReadStream(f, { highWaterMark: 1024 * 1024 }) })
    }
  }
  // Long scans show where they are on a terminal (standard error; nothing when it is not one).
  const line = progressLine(process.stderr, { delayMs: progressDelayMs() })
  const started = performance.now()
  const result = await scanLogs(compiled, inputs, (p) => {
    const seconds = (performance.now() - started) / 1000
    const fraction = totalBytes ? p.bytes / totalBytes : null
    const eta = fraction && fraction > 0 ? (seconds / fraction) * (1 - fraction) : null
    line.update(`Scanning ${bar(fraction)}  ${formatBytes(p.bytes)}${totalBytes ? `/${formatBytes(totalBytes)}` : ''}  ${formatCount(p.events / Math.max(seconds, 0.001))} events/s  ETA ${formatDuration(eta)}`)
  })
  line.clear()
  const output = parsed.format === 'json' ? JSON.stringify({ detections: result.detections, stats: result.stats }, null, 2) + '\n' : formatTable(result)
  process.stdout.write(output)
  return ruleErrors.length > 0 ? 1 : 0
}
