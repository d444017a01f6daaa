import type { DetectionView } from '../../detection/index.js'

/** A human-readable table of grouped detections, then the parse statistics. */

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

export function formatTable(result: { detections: DetectionView[]; stats: { events: number; processEvents: number; skipped: number; errors: { file?: string; line: number; message: string }[] } }): string {
  const rows = result.detections.map((d) => COLUMNS.map((c) => cell(c.value(d))))
  const widths = COLUMNS.map((c, i) => Math.max(c.title.length, ...rows.map((r) => r[i]!.length)))
  const line = (cells: string[]): string => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()
  const out = [line(COLUMNS.map((c) => c.title)), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)]
  const s = result.stats
  out.push('', `${result.detections.length} detection(s); ${s.events} events read, ${s.processEvents} process events, ${s.skipped} skipped, ${s.errors.length} error(s)`)
  for (const e of s.errors) out.push(`  ${e.file ?? ''}:${e.line}: ${e.message}`)
  return out.join('\n') + '\n'
}
