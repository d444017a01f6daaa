import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { readEventBatches, type IngestItem, type ReadOptions } from '../../../../src/ingest/index.js'

/**
 * Test helpers: run the real reader over in-memory bytes (optionally cut into given chunk
 * sizes, to exercise chunk boundaries) and locate fixtures relative to this file.
 */

export const FIXTURES = fileURLToPath(new URL('../../../fixtures/logs/', import.meta.url))
/** The shared datasets folder next to the repository (absent on a plain clone). */
export const SHARED_DATASETS = fileURLToPath(new URL('../../../../../shared/datasets/', import.meta.url))

export const fixture = (path: string): Buffer => readFileSync(FIXTURES + path)

/** Yields `bytes` in pieces of the given sizes (cycled), or whole. */
export async function* chunked(bytes: Uint8Array, sizes: readonly number[] = []): AsyncGenerator<Uint8Array> {
  if (sizes.length === 0) {
    if (bytes.length > 0) yield bytes
    return
  }
  for (let o = 0, i = 0; o < bytes.length; i++) {
    const n = Math.max(1, sizes[i % sizes.length]!)
    yield bytes.subarray(o, o + n)
    o += n
  }
}

export async function readAll(input: Uint8Array | string, options?: ReadOptions, sizes?: readonly number[]): Promise<IngestItem[]> {
  const bytes = typeof input === 'string' ? Buffer.from(input) : input
  const items: IngestItem[] = []
  for await (const batch of readEventBatches(chunked(bytes, sizes), options)) items.push(...batch.items)
  return items
}

export function events(items: IngestItem[]) {
  return items.flatMap((i) => (i.kind === 'event' ? [i] : []))
}

/** A compact view for assertions: kind and line plus the reason or message. */
export const summary = (items: IngestItem[]): string[] =>
  items.map((i) => (i.kind === 'event' ? `${i.line} event ${i.source}` : i.kind === 'skipped' ? `${i.line} skipped ${i.reason}` : `${i.line} error ${i.message}`))
