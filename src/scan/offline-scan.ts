import {
  DetectionAggregator,
  compileRule,
  createMacroSet,
  describeDetection,
  RuleSyntaxError,
  type CompiledRule,
  type DetectionView,
} from '../detection/index.js'
import { foldIngestItems, newIngestStats, readEventBatches, type IngestStats } from '../ingest/index.js'
import type { LoadedRuleFiles } from './rule-files.js'

/**
 * The offline scan behind `watchpost scan`: the same parser and engine the worker uses, over
 * local files, with no service. Rules that fail to compile are reported and left out; the others run.
 */

export interface ScanInput {
  name: string
  read: () => AsyncIterable<Uint8Array>
}

export interface ScanError {
  file?: string
  line: number
  /** Byte offset of the bad event's first line (after decompression). */
  offset: number
  message: string
}

/** What one input gave. */
export interface FileStats {
  file: string
  events: number
  processEvents: number
  skipped: number
  errorCount: number
}

export interface ScanStats {
  /** Per input, in the order read. */
  files: FileStats[]
  events: number
  processEvents: number
  skipped: number
  skippedByKind: Record<string, number>
  /** Every error of every file (a file keeps its first MAX_KEPT_ERRORS in `errors`). */
  errorCount: number
  errors: ScanError[]
}

export interface ScanResult {
  detections: DetectionView[]
  stats: ScanStats
  ruleErrors: { file: string; rule?: string; line?: number; column?: number; message: string }[]
}

export function compileLoadedRules(loaded: LoadedRuleFiles): { compiled: CompiledRule[]; ruleErrors: ScanResult['ruleErrors'] } {
  const macros = createMacroSet(loaded.macros)
  const compiled: CompiledRule[] = []
  const ruleErrors: ScanResult['ruleErrors'] = loaded.errors.map((e) => ({ file: e.file, line: e.line, column: e.column, message: e.message }))
  for (const { rule, file } of loaded.rules) {
    try {
      compiled.push(compileRule(rule, macros))
    } catch (err) {
      if (!(err instanceof RuleSyntaxError)) throw err
      ruleErrors.push({ file, rule: rule.name, line: err.line, column: err.column, message: err.reason })
    }
  }
  return { compiled, ruleErrors }
}

/** How far a scan has read, over all its inputs: told per chunk read and per batch of events. */
export interface ScanProgress {
  bytes: number
  events: number
}

export async function scanLogs(
  compiled: CompiledRule[],
  inputs: ScanInput[],
  onProgress?: (progress: ScanProgress) => void,
): Promise<Omit<ScanResult, 'ruleErrors'>> {
  const aggregator = new DetectionAggregator(compiled)
  const stats: ScanStats = { files: [], events: 0, processEvents: 0, skipped: 0, skippedByKind: {}, errorCount: 0, errors: [] }
  const progress: ScanProgress = { bytes: 0, events: 0 }
  for (const input of inputs) {
    const fileStats: IngestStats = newIngestStats()
    async function* counted(): AsyncGenerator<Uint8Array> {
      for await (const chunk of input.read()) {
        progress.bytes += chunk.byteLength
        onProgress?.(progress)
        yield chunk
      }
    }
    for await (const batch of readEventBatches(counted())) {
      foldIngestItems(fileStats, batch.items)
      progress.events = stats.events + fileStats.events
      onProgress?.(progress)
      for (const item of batch.items) if (item.kind === 'event') aggregator.add(item.event)
    }
    stats.files.push({ file: input.name, events: fileStats.events, processEvents: fileStats.processEvents, skipped: fileStats.skipped, errorCount: fileStats.errorCount })
    stats.events += fileStats.events
    stats.processEvents += fileStats.processEvents
    stats.skipped += fileStats.skipped
    stats.errorCount += fileStats.errorCount
    for (const [kind, n] of Object.entries(fileStats.skippedByKind)) stats.skippedByKind[kind] = (stats.skippedByKind[kind] ?? 0) + n
    stats.errors.push(...fileStats.errors.map((e) => ({ file: input.name, line: e.line, offset: e.offset, message: e.message })))
  }
  return { detections: aggregator.rows().map(describeDetection), stats }
}
