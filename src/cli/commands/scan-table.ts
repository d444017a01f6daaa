import type { DetectionView } from '../../detection/index.js'
import { MAX_KEPT_ERRORS, UNRECOGNIZED_LINE } from '../../ingest/index.js'
import type { FileStats, ScanStats } from '../../scan/offline-scan.js'

/**
 * A human-readable table of grouped detections, then the parse statistics and the first errors of
 * each file (a file of garbage must not bury the detections; `--format json` keeps more).
 */

const COLUMNS: { title: string; value: (d: DetectionView) => string }[] = [
  { title: 'rule', value: (d) => d.rule.name },
  { title: 'count', value: (d) => String(d.count) },
  { title: 'firstTime', value: (d) => String(d.firstTime ?? '') },
  { title: 'lastTime', value: (d) => String(d.lastTime ?? '') },
  { title: 'dest', value: (d) => d.fields.dest ?? '' },
  { title: 'user', value: (d) => d.fields.user ?? '' },
  { title: 'process', value: (d) => d.fields.process ?? d.fields.process_name ?? '' },
]

const MAX_CELL = 80
const cell = (s: string): string => {
  const flat = s.replace(/\s+/g, ' ')
  return flat.length > MAX_CELL ? flat.slice(0, MAX_CELL - 1) + '…' : flat
}

/** Errors listed per file; the rest are counted. */
export const ERRORS_SHOWN_PER_FILE = 10

/** A file that gave no event, only unrecognized lines (notes, YAML, CSV beside the logs): one line says so. */
const isNotALog = (f: FileStats, errors: ScanStats['errors']): boolean => f.events === 0 && errors.every((e) => e.message.startsWith(UNRECOGNIZED_LINE))

export function formatTable(result: { detections: DetectionView[]; stats: Pick<ScanStats, 'files' | 'events' | 'processEvents' | 'skipped' | 'errorCount' | 'errors'> }): string {
  const rows = result.detections.map((d) => COLUMNS.map((c) => cell(c.value(d))))
  const widths = COLUMNS.map((c, i) => Math.max(c.title.length, ...rows.map((r) => r[i]!.length)))
  const line = (cells: string[]): string => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()
  const out = [line(COLUMNS.map((c) => c.title)), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)]
  const s = result.stats
  out.push('', `${result.detections.length} detection(s); ${s.events} events read, ${s.processEvents} process events, ${s.skipped} skipped, ${s.errorCount} error(s)`)
  const byFile = new Map<string, ScanStats['errors']>()
  for (const e of s.errors) {
    const list = byFile.get(e.file ?? '')
    if (list) list.push(e)
    else byFile.set(e.file ?? '', [e])
  }
  for (const f of s.files) {
    const errors = byFile.get(f.file) ?? []
    if (errors.length === 0) continue
    if (isNotALog(f, errors)) {
      out.push(`  ${f.file}: not read as a log: ${f.errorCount} unrecognized line(s), no event (line ${errors[0]!.line}: ${errors[0]!.message.slice(UNRECOGNIZED_LINE.length)})`)
      continue
    }
    for (const e of errors.slice(0, ERRORS_SHOWN_PER_FILE)) out.push(`  ${f.file}:${e.line}: ${e.message}`)
    const more = f.errorCount - Math.min(errors.length, ERRORS_SHOWN_PER_FILE)
    if (more > 0) out.push(`  … and ${more} more in ${f.file} (--format json lists the first ${MAX_KEPT_ERRORS} of a file)`)
  }
  return out.join('\n') + '\n'
}
