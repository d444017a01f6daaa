import { formatBytes, formatCount } from '../progress-bar.js'
import type { UploadState } from './upload-state.js'

/** What `watchpost upload` prints per file: its result, or why it was refused. */

export type FileResult =
  | { file: string; id: string; sizeBytes: number; state: UploadState }
  /** Accepted, not waited for (--no-wait). */
  | { file: string; id: string; sizeBytes: number; state: null }
  | { file: string; id?: string; error: { code: string; message: string } }

/** Errors listed per file in the text report; --json has every error the service kept. */
const ERRORS_SHOWN = 10

export function failed(r: FileResult): boolean {
  return 'error' in r || r.state?.status === 'FAILED'
}

export function textReport(results: FileResult[]): string {
  const lines: string[] = []
  for (const r of results) {
    if ('error' in r) {
      lines.push(`${r.file}: ${r.id ? 'NOT FOLLOWED' : 'REFUSED'} ${r.error.code}: ${r.error.message}`)
      continue
    }
    if (r.state === null) {
      lines.push(`${r.file}: QUEUED as ${r.id} (${formatBytes(r.sizeBytes)})`)
      continue
    }
    const s = r.state
    if (s.status === 'FAILED') {
      lines.push(`${r.file}: FAILED ${s.failureReason ?? ''} (upload ${s.id})`)
    } else {
      const parts = [`${formatCount(s.eventCount)} events (${formatCount(s.processEvents)} process creations)`, `${formatCount(s.skipped)} skipped`, `${formatCount(s.detectionRows)} detections`]
      if (s.errorCount > 0) parts.push(`${formatCount(s.errorCount)} unreadable`)
      lines.push(`${r.file}: ${s.status}, ${parts.join(', ')} (upload ${s.id})`)
    }
    for (const e of s.errors.slice(0, ERRORS_SHOWN)) lines.push(`  line ${e.line}: ${e.message}`)
    if (s.errorCount > ERRORS_SHOWN) lines.push(`  … and ${formatCount(s.errorCount - ERRORS_SHOWN)} more errors (--json lists those the service kept)`)
  }
  return lines.join('\n') + '\n'
}

export function jsonReport(results: FileResult[]): string {
  const uploads = results.map((r) => {
    if ('error' in r) return { file: r.file, ...(r.id ? { id: r.id } : {}), status: null, error: r.error }
    if (r.state === null) return { file: r.file, id: r.id, sizeBytes: r.sizeBytes, status: 'QUEUED' }
    const { progress: _progress, ...state } = r.state
    return { file: r.file, sizeBytes: r.sizeBytes, ...state }
  })
  return JSON.stringify({ uploads }, null, 2) + '\n'
}
