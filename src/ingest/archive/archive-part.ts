import type { Buffer } from 'node:buffer'
import { DecompressionError } from '../bytes/gunzip.js'

/**
 * What an archive reader (../zip/, ../tar/) hands out, in archive order: an entry holding a file,
 * with its data (read it, or leave it: the next entry is found either way), or a reason a part of
 * the archive was not read. `index` counts the archive's entry headers from 0, folders and
 * metadata included; `offset` is the entry's header position in the archive. Reading `data`
 * throws DecompressionError when the entry's data is damaged, cut short or over the caps.
 */
export type ArchivePart =
  | { readonly kind: 'entry'; readonly index: number; readonly name: string; readonly offset: number; readonly data: AsyncIterable<Buffer> }
  | { readonly kind: 'error'; readonly index: number; readonly name: string | null; readonly offset: number; readonly message: string }

/** Folders, and what archivers add beside the files (macOS resource forks, hidden files): not files of the archive. */
export const isFileEntry = (name: string): boolean => !name.endsWith('/') && !name.split('/').some((part) => part === '__MACOSX' || part.startsWith('.'))

/**
 * A name as shown in messages: control characters as `?` (a line break would forge a line of
 * output). Names are only ever shown, never used as paths.
 */
export const shownName = (name: string): string => name.replace(/[\u0000-\u001f\u007f]/g, '?')

/** An entry's data that stops where the archive does. */
export const ENTRY_CUT_SHORT = 'the archive ends inside its data: it is cut short'

/** The files of an archive together past `maxDecompressedBytes`. */
export const filesOverCap = (): DecompressionError => new DecompressionError(`the archive's files hold more than their cap (maxDecompressedBytes); rest not read`, true)
