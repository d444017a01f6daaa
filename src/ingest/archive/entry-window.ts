/**
 * Where the bytes of a file inside a ZIP archive are in the upload's content, as events record it
 * (`rawOffset`) and the drilldown reads it back: entry `i` (counting every local header from 0)
 * starts at `i × ENTRY_SPAN`, whatever the sizes of the entries before it. A place that follows from
 * the entry alone can be found again without inflating the entries before it; and a multiple of
 * 64 KiB keeps an EVTX file's chunks where they are in the file (evtx-file.ts chunkStartOf).
 */

/** Bytes set aside for each entry: 64 GiB, beyond any inflation cap. */
export const ENTRY_SPAN = 2 ** 36

/** Entries whose window stays within safe integers; an archive's later entries are not read. */
export const MAX_ARCHIVE_ENTRIES = Math.floor(Number.MAX_SAFE_INTEGER / ENTRY_SPAN)

/** Offset in the content of the first byte of entry `index`. */
export const entryBase = (index: number): number => index * ENTRY_SPAN

/** The entry whose window holds content offset `offset`, and the offset within it. */
export const entryAt = (offset: number): { index: number; offset: number } => ({ index: Math.floor(offset / ENTRY_SPAN), offset: offset % ENTRY_SPAN })
