import { readdir, stat } from 'node:fs/promises'
import { join, sep } from 'node:path'

/**
 * The log files a `watchpost scan` argument names: a file is itself; a folder is every regular
 * file below it, in path order, except hidden ones (names starting with `.`, and what is inside
 * hidden folders). What each file holds is recognized from its content, as for one file.
 */

/** Thrown for an argument that is neither a readable file nor a folder holding one (callers word the message). */
export class LogPathError extends Error {
  constructor(
    readonly path: string,
    readonly reason: 'unreadable' | 'empty folder',
  ) {
    super(reason === 'unreadable' ? `cannot read ${path}` : `log folder ${path} holds no files`)
  }
}

const hidden = (relativePath: string): boolean => relativePath.split(sep).some((part) => part.startsWith('.'))

/** The log files `path` names; LogPathError when it, or a file below it, cannot be found, or a folder holds none. */
export async function expandLogPath(path: string): Promise<string[]> {
  try {
    // A path that stat finds exists (what the scan and upload checked before reading).
    if (!(await stat(path)).isDirectory()) return [path]
    const files = (await readdir(path, { recursive: true, withFileTypes: true }))
      .filter((e) => e.isFile())
      .map((e) => join(e.parentPath, e.name))
      .filter((f) => !hidden(f.slice(path.length)))
      .sort()
    if (files.length > 0) return files
  } catch {
    throw new LogPathError(path, 'unreadable')
  }
  throw new LogPathError(path, 'empty folder')
}

/** Whether a folder holds rule YAML (*.yml, *.yaml) anywhere below it: it is then a rule folder, else a log folder. */
export async function holdsYaml(path: string): Promise<boolean> {
  const entries = await readdir(path, { recursive: true, withFileTypes: true })
  return entries.some((e) => e.isFile() && /\.ya?ml$/i.test(e.name))
}
