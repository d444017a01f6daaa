import type { InflateLimits } from '../bytes/gunzip.js'
import { isTarArchive, readTarArchive } from '../tar/tar-archive.js'
import { isZipArchive, readZipArchive } from '../zip/zip-archive.js'
import type { ArchivePart } from './archive-part.js'

/** The archive formats read as folders of log files: recognized from their first bytes (after gzip). */

export type ArchiveFormat = 'zip' | 'tar'
export type ArchiveReader = (input: AsyncIterable<Uint8Array>, limits: InflateLimits) => AsyncGenerator<ArchivePart>

/** Bytes of the head needed to recognize every format (a tar header is one 512-byte block). */
export const ARCHIVE_HEAD_BYTES = 512

const READERS: Record<ArchiveFormat, ArchiveReader> = { zip: readZipArchive, tar: readTarArchive }

/** The archive format `head` starts, or null. */
export const archiveFormat = (head: Uint8Array): ArchiveFormat | null => (isZipArchive(head) ? 'zip' : isTarArchive(head) ? 'tar' : null)

/** The reader of the archive `head` starts, or null. */
export function archiveReader(head: Uint8Array): ArchiveReader | null {
  const format = archiveFormat(head)
  return format === null ? null : READERS[format]
}
