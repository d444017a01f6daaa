import { basename } from 'node:path'
import { expandLogPath, LogPathError } from '../../scan/log-files.js'
import { CliError } from '../cli-error.js'
import { bar, formatBytes, formatCount, formatDuration, progressLine } from '../progress-bar.js'
import { sendFile } from '../upload/send-file.js'
import { failed, jsonReport, textReport, type FileResult } from '../upload/upload-report.js'
import type { UploadState } from '../upload/upload-state.js'
import { waitForUploads } from '../upload/wait-for-uploads.js'
import { parseUploadArgs } from './upload-args.js'

/**
 * `watchpost upload FILE…`: sends each file (a folder: every file below it) to a Watchpost service (POST /v1/uploads), then waits
 * until it is processed and prints the result per file (stdout; --json for scripts). Progress goes
 * to standard error: a bar on a terminal, a few plain lines otherwise. Exit 1 when any file was
 * refused or failed. The key is never printed.
 */
export async function run(args: string[]): Promise<number> {
  const opts = parseUploadArgs(args, process.env)
  // A folder is every file below it (hidden ones left out), each one upload.
  const files: string[] = []
  for (const path of opts.files) {
    try {
      files.push(...(await expandLogPath(path)))
    } catch (err) {
      throw new CliError(`upload: ${err instanceof LogPathError && err.reason === 'empty folder' ? err.message : `cannot read ${path}`}`)
    }
  }
  const line = progressLine(process.stderr)
  const note = (text: string): void => {
    line.clear()
    process.stderr.write(`${text}\n`)
  }
  const results: FileResult[] = []
  for (const file of files) {
    if (!line.visible) note(`uploading ${file}`)
    const started = performance.now()
    const sent = await sendFile(opts.server, opts.key, file, (done, total) => {
      const seconds = (performance.now() - started) / 1000
      const rate = done / Math.max(seconds, 0.001)
      line.update(`Uploading ${basename(file)} ${bar(total ? done / total : 1)}  ${formatBytes(done)}/${formatBytes(total)}  ${formatBytes(rate)}/s  ETA ${formatDuration((total - done) / rate)}`)
    })
    if (!sent.ok) {
      note(`${file}: refused: ${sent.code}: ${sent.message}`)
      results.push({ file, error: { code: sent.code, message: sent.message } })
      // The same key and server would refuse the other files alike.
      if (sent.code === 'UNAUTHENTICATED' || sent.code === 'FORBIDDEN' || sent.code === 'CONNECTION_FAILED') break
      continue
    }
    note(`${file}: uploaded (${formatBytes(sent.sizeBytes)}) as ${sent.id}`)
    results.push({ file, id: sent.id, sizeBytes: sent.sizeBytes, state: null })
  }
  const accepted = results.filter((r): r is Extract<FileResult, { state: null }> => 'state' in r && r.state === null)
  if (opts.wait && accepted.length > 0) {
    if (!line.visible) note(`waiting for ${accepted.length} upload${accepted.length === 1 ? '' : 's'} to be processed`)
    const states = new Map<string, UploadState>()
    const outcomes = await waitForUploads(opts.server, opts.key, accepted.map((r) => r.id), {
      onState: (s) => {
        const before = states.get(s.id)?.status
        states.set(s.id, s)
        if (!line.visible && before !== s.status) note(`${accepted.find((r) => r.id === s.id)!.file}: ${s.status}`)
        line.update(processingLine([...states.values()], accepted.length))
      },
      onFallback: (reason) => note(`live progress unavailable (${reason}); polling instead`),
    })
    line.clear()
    for (const r of accepted) {
      const outcome = outcomes.get(r.id)!
      const i = results.indexOf(r)
      results[i] = outcome.ok ? { ...r, state: outcome.state } : { file: r.file, id: r.id, error: { code: outcome.code, message: outcome.message } }
    }
  }
  line.clear()
  process.stdout.write(opts.json ? jsonReport(results) : textReport(results))
  return results.some(failed) ? 1 : 0
}

/** All the uploads being followed, summed: how much is read, how fast, and what is left. */
function processingLine(states: UploadState[], count: number): string {
  const done = states.filter((s) => s.status !== 'QUEUED' && s.status !== 'RUNNING').length
  const total = states.reduce((n, s) => n + s.progress.bytesTotal, 0)
  const read = states.reduce((n, s) => n + s.progress.bytesProcessed, 0)
  const events = states.reduce((n, s) => n + s.progress.eventsProcessed, 0)
  const running = states.filter((s) => s.status === 'RUNNING')
  const eventsPerSecond = running.reduce((n, s) => n + (s.progress.eventsPerSecond ?? 0), 0)
  const eta = running.length > 0 && running.every((s) => s.progress.etaSeconds !== null) ? Math.max(...running.map((s) => s.progress.etaSeconds!)) : null
  const waiting = states.filter((s) => s.status === 'QUEUED').length
  return `Processing ${done}/${count} ${bar(total ? read / total : null)}  ${formatCount(events)} events  ${formatCount(eventsPerSecond)} events/s  ETA ${formatDuration(eta)}${waiting ? `  (${waiting} queued)` : ''}`
}
