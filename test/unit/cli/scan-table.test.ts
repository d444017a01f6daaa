import { describe, expect, it } from 'vitest'
import { ERRORS_SHOWN_PER_FILE, formatTable } from '../../../src/cli/commands/scan-table.js'
import type { ScanError, ScanStats } from '../../../src/scan/offline-scan.js'

// The table `watchpost scan --format table` prints under its detections: the total of every
// error, each file's first errors, and a file that is no log at all (notes, YAML beside the logs)
// in one line instead of one per line of it.

const unrecognized = (file: string, line: number, text: string): ScanError => ({
  file,
  line,
  offset: line * 10,
  message: `unrecognized line: expected a Windows XML event ('<') or a JSON object or array ('{', '['), found ${JSON.stringify(text)}`,
})
const broken = (file: string, line: number): ScanError => ({ file, line, offset: line * 10, message: `invalid JSON: Unexpected token at column ${line}` })

function table(files: ScanStats['files'], errors: ScanError[]): string[] {
  const stats = { files, events: files.reduce((n, f) => n + f.events, 0), processEvents: 0, skipped: 0, errorCount: files.reduce((n, f) => n + f.errorCount, 0), errors }
  return formatTable({ detections: [], stats }).split('\n').slice(3, -1)
}

describe('the scan table', () => {
  it('counts every error, lists the first of each file, and says how many more', () => {
    const logErrors = Array.from({ length: 25 }, (_, i) => broken('a.json', i + 1))
    const lines = table([{ file: 'a.json', events: 40, processEvents: 0, skipped: 0, errorCount: 1500 }], logErrors)
    expect(lines[0]).toBe('0 detection(s); 40 events read, 0 process events, 0 skipped, 1500 error(s)')
    expect(lines.slice(1, 1 + ERRORS_SHOWN_PER_FILE)).toEqual(logErrors.slice(0, ERRORS_SHOWN_PER_FILE).map((e) => `  a.json:${e.line}: ${e.message}`))
    expect(lines.slice(1 + ERRORS_SHOWN_PER_FILE)).toEqual([`  … and ${1500 - ERRORS_SHOWN_PER_FILE} more in a.json (--format json lists the first 1000 of a file)`])
  })

  it('a file with no event and only unrecognized lines is one line; files are listed in the order read', () => {
    const notes = [unrecognized('notes.md', 1, '# Case 42'), unrecognized('notes.md', 3, 'Collected on the DC')]
    const lines = table(
      [
        { file: 'notes.md', events: 0, processEvents: 0, skipped: 0, errorCount: 2 },
        { file: 'ok.xml', events: 3, processEvents: 3, skipped: 0, errorCount: 0 },
        { file: 'mixed.log', events: 1, processEvents: 1, skipped: 0, errorCount: 1 },
        { file: 'bad.json', events: 0, processEvents: 0, skipped: 0, errorCount: 2 },
      ],
      // The errors as the scan gathers them: file by file.
      [...notes, unrecognized('mixed.log', 2, 'header'), unrecognized('bad.json', 1, 'x'), broken('bad.json', 2)],
    )
    expect(lines.slice(1)).toEqual([
      '  notes.md: not read as a log: 2 unrecognized line(s), no event (line 1: found "# Case 42")',
      // Events were read from it: its unrecognized line is an error like any other.
      `  mixed.log:2: ${unrecognized('mixed.log', 2, 'header').message}`,
      // Not only unrecognized lines: a broken log, listed.
      `  bad.json:1: ${unrecognized('bad.json', 1, 'x').message}`,
      `  bad.json:2: ${broken('bad.json', 2).message}`,
    ])
  })
})
