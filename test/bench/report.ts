import { writeFile } from 'node:fs/promises'
import { cpus } from 'node:os'

/**
 * The benchmark's one output format: each stage beside the floor it is compared with, measured in
 * the same run, as a ratio and a pass/fail against the stage's target. Machines here are shared
 * and noisy, so only ratios are judged, never absolute figures.
 */

export interface BenchRow {
  stage: string
  figure: string
  floor: string
  /** figure / floor (or the stage's own ratio, e.g. 300 rules vs 1 rule). */
  ratio: number
  /** The minimum ratio, e.g. 0.35. */
  target: number
}

const pct = (x: number): string => `${(x * 100).toFixed(0)}%`

export function markdownTable(rows: BenchRow[]): string {
  const lines = ['| stage | figure | floor | ratio | target | pass |', '| --- | ---: | ---: | ---: | ---: | --- |']
  for (const r of rows) lines.push(`| ${r.stage} | ${r.figure} | ${r.floor} | ${pct(r.ratio)} | ≥ ${pct(r.target)} | ${r.ratio >= r.target ? 'yes' : '**no**'} |`)
  return lines.join('\n')
}

export function machineLine(): string {
  return `${cpus().length} cores (${cpus()[0]?.model ?? 'unknown CPU'}), Node ${process.version}, ${new Date().toISOString()}`
}

export async function writeResults(path: URL, rows: BenchRow[], notes: string[]): Promise<void> {
  const text = ['# Benchmark results', '', `Last run: ${machineLine()}.`, '', markdownTable(rows), '', ...notes.map((n) => `- ${n}`), ''].join('\n')
  await writeFile(path, text)
}
