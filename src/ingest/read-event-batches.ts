import { isGzip } from './detect-format.js'
import { DecompressionError, gunzipBounded } from './bytes/gunzip.js'
import { LineSplitter, type LineHandler } from './bytes/line-splitter.js'
import { peek } from './bytes/peek.js'
import { jsonLineItem } from './crowdstrike/json-line.js'
import type { IngestBatch, IngestItem, ReadOptions } from './types.js'
import { WindowsXmlReader } from './xml/reader.js'

/**
 * The streaming reader: bytes (gzip inflated on the fly) → lines → XML or JSON readers → items,
 * yielded in batches. Memory is bounded by one input slice, one line and one batch; the upload
 * is never decoded as a whole. Bad input never throws: it becomes `error` items with line numbers
 * and reading continues. Only failures of `input` itself propagate.
 */

const DEFAULT_BATCH_SIZE = 1000
const DEFAULT_MAX_LINE_BYTES = 8 * 1024 * 1024
const DEFAULT_MAX_DECOMPRESSED_BYTES = 4 * 1024 * 1024 * 1024
/** Large input chunks are processed in slices of this size, so a batch is yielded at least this often. */
const SLICE_BYTES = 1024 * 1024

const firstNonSpace = (t: string): number => {
  for (let i = 0; i < t.length; i++) {
    const c = t.charCodeAt(i)
    if (c !== 0x20 && c !== 0x09 && c !== 0x0d && c !== 0x0b && c !== 0x0c) return c
  }
  return -1
}

const LT = 0x3c
const BRACE = 0x7b

export async function* readEventBatches(input: AsyncIterable<Uint8Array>, options: ReadOptions = {}): AsyncGenerator<IngestBatch> {
  const format = options.format ?? 'auto'
  const batchSize = Math.max(1, options.batchSize ?? DEFAULT_BATCH_SIZE)
  const hosts = options.crowdstrikeHosts
  const out: IngestItem[] = []
  const maxLineBytes = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES
  const xml = new WindowsXmlReader(out, maxLineBytes)

  const handler: LineHandler = {
    line(text, lineNo) {
      const c = firstNonSpace(text)
      if (xml.busy) {
        if (!(xml.resyncing && format === 'auto' && c === BRACE)) return xml.line(text, lineNo)
        xml.stopResync()
      }
      if (c < 0) return
      if (format === 'windows-xml' || (format === 'auto' && c === LT)) return xml.line(text, lineNo)
      if (format === 'ndjson' || (format === 'auto' && c === BRACE)) return void out.push(jsonLineItem(text, lineNo, hosts))
      const shown = JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}…` : text)
      out.push({ kind: 'error', line: lineNo, message: `unrecognized line: expected a Windows XML event ('<') or a JSON object ('{'), found ${shown}` })
    },
    unreadable(lineNo, message) {
      xml.interrupt(lineNo)
      out.push({ kind: 'error', line: lineNo, message })
    },
  }
  const splitter = new LineSplitter(handler, maxLineBytes)

  const { head, rest } = await peek(input, 2)
  const bytes = isGzip(head) ? gunzipBounded(rest, options.maxDecompressedBytes ?? DEFAULT_MAX_DECOMPRESSED_BYTES) : rest
  let failure: DecompressionError | null = null
  try {
    for await (const chunk of bytes) {
      for (let offset = 0; offset < chunk.byteLength; offset += SLICE_BYTES) {
        splitter.push(chunk.subarray(offset, offset + SLICE_BYTES))
        while (out.length >= batchSize) yield { items: out.splice(0, batchSize) }
      }
    }
  } catch (err) {
    if (!(err instanceof DecompressionError)) throw err
    failure = err
  }
  // The line where the data stopped; a partial last line is still read unless the cap cut it.
  const stoppedAt = splitter.currentLine
  if (failure?.capped) splitter.discard()
  splitter.end()
  xml.end()
  if (failure !== null) out.push({ kind: 'error', line: stoppedAt, message: failure.message })
  while (out.length > 0) yield { items: out.splice(0, batchSize) }
}
