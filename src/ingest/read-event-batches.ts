import { ARCHIVE_HEAD_BYTES, archiveFormat, archiveReader } from './archive/archives.js'
import { ENTRY_SPAN, entryBase, MAX_ARCHIVE_ENTRIES } from './archive/entry-window.js'
import { BINARY_MAGIC_BYTES, binaryFormatError } from './bytes/binary-formats.js'
import { sniffEncoding, utf16LittleEndian } from './bytes/encoding.js'
import { DecompressionError, gunzipIfGzip, type InflateLimits } from './bytes/gunzip.js'
import { LineBytes } from './bytes/line-bytes.js'
import { isLineSpace, LineSplitter, type LineHandler } from './bytes/line-splitter.js'
import { peek } from './bytes/peek.js'
import { csvHeader } from './csv/csv-fields.js'
import { CsvReader } from './csv/csv-reader.js'
import { FILE_MAGIC, isEvtxFile, readEvtxFile } from './evtx/evtx-file.js'
import { JsonReader } from './json/reader.js'
import { errorItem, type IngestBatch, type IngestItem, type LogFormat, type ReadOptions } from './types.js'
import { WindowsXmlReader } from './xml/reader.js'

/**
 * The streaming reader: bytes (gzip inflated, an archive's files one by one, UTF-16 re-chunked, on
 * the fly) → lines → XML, JSON or CSV readers (or EVTX records → XML) → items, yielded in batches. Memory is bounded by one input slice, one line (or
 * one capped multi-line event) and one batch; the upload is never decoded as a whole. Bad input
 * never throws: it becomes `error` items with line numbers and byte offsets, and reading
 * continues. Only failures of `input` itself propagate.
 */

/**
 * Items per batch. Small enough that a batch is consumed before the next young-generation
 * collection: with 1,000 the items of a batch outlived one, V8 promoted them (and then allocated
 * them in the old generation outright), and the reader with the bundled rules peaked at 321 MB
 * RSS on a 1 GB log, 1,446 MB promoted, 16 full collections; with 250: 236 MB, 90 MB, 3, and 18%
 * faster (test/bench/streaming-memory.ts). Parse throughput alone is the same either way.
 */
const DEFAULT_BATCH_SIZE = 250
const DEFAULT_MAX_LINE_BYTES = 8 * 1024 * 1024
const DEFAULT_MAX_DECOMPRESSED_BYTES = 4 * 1024 * 1024 * 1024
const DEFAULT_MAX_DECOMPRESSION_RATIO = 100
/** Large input chunks are processed in slices of this size (even: UTF-16 stays aligned), so a batch is yielded at least this often. */
const SLICE_BYTES = 1024 * 1024

const firstNonSpace = (t: string): number => {
  for (let i = 0; i < t.length; i++) {
    const c = t.charCodeAt(i)
    if (!isLineSpace(c)) return c
  }
  return -1
}

/** How every line that is neither XML nor JSON (nor CSV after a header) begins its error; then `found "…"`. */
export const UNRECOGNIZED_LINE = "unrecognized line: expected a Windows XML event ('<') or a JSON object or array ('{', '['), "

const LT = 0x3c
const BRACE = 0x7b
const BRACKET = 0x5b
/** What follows a `[` that opens an array of objects (or an empty or pretty-printed one): `{`, `[`, `]`, `,` or nothing. */
const ARRAY_OF_OBJECTS = /^\s*(?:$|[{[\],])/
/**
 * A line that starts JSON: an object, or an array — of objects, or a whole JSON array on the line
 * (`[1, 2]`, whose elements are then reported) — so a text line such as `[INFO] …` or
 * `[2026-03-16 14:05:09] …` is one unrecognized line, not a broken array.
 */
function startsJson(text: string, c: number): boolean {
  if (c === BRACE) return true
  if (c !== BRACKET) return false
  const at = text.indexOf('[')
  if (ARRAY_OF_OBJECTS.test(text.slice(at + 1, at + 65))) return true
  try {
    JSON.parse(text)
    return true
  } catch {
    return false
  }
}

/** What every file of one read shares: the options, resolved. */
interface ReadSettings {
  readonly format: LogFormat | 'auto'
  readonly batchSize: number
  readonly maxLineBytes: number
  readonly limits: InflateLimits
  readonly crowdstrikeHosts: ReadOptions['crowdstrikeHosts']
}

/** A file read from inside an archive: its name, and where its bytes are placed in the upload's content (archive/entry-window.ts). */
interface ArchiveEntry {
  readonly name: string
  readonly base: number
}

export async function* readEventBatches(input: AsyncIterable<Uint8Array>, options: ReadOptions = {}): AsyncGenerator<IngestBatch> {
  const settings: ReadSettings = {
    format: options.format ?? 'auto',
    batchSize: Math.max(1, options.batchSize ?? DEFAULT_BATCH_SIZE),
    maxLineBytes: options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES,
    limits: {
      maxBytes: options.maxDecompressedBytes ?? DEFAULT_MAX_DECOMPRESSED_BYTES,
      maxRatio: options.maxDecompressionRatio ?? DEFAULT_MAX_DECOMPRESSION_RATIO,
    },
    crowdstrikeHosts: options.crowdstrikeHosts,
  }
  yield* readFile(input, settings, null)
}

/**
 * One file: an archive (each file in it read in turn, as a file of its own), an EVTX file or
 * text; `entry` when the file is inside an archive: its errors then name it and its events point
 * into its window of the content. An archive inside an archive is one error, not read.
 */
async function* readFile(input: AsyncIterable<Uint8Array>, settings: ReadSettings, entry: ArchiveEntry | null): AsyncGenerator<IngestBatch> {
  const { format, batchSize, maxLineBytes } = settings
  const out: IngestItem[] = []
  /** Hands out full batches (every item when `all`), placed in their archive entry. */
  function* drain(all = false): Generator<IngestBatch> {
    while (out.length >= (all ? 1 : batchSize)) yield { items: entry === null ? out.splice(0, batchSize) : placeInEntry(out.splice(0, batchSize), entry) }
  }
  // The byte positions of the line being read: set by the splitter, read by the readers.
  const lineBytes = new LineBytes()
  const xml = new WindowsXmlReader(out, maxLineBytes, lineBytes)
  // Events held as text inside other records (EVTX records, Splunk exports' `_raw`) have a reader of their own.
  const embeddedBytes = new LineBytes()
  const embedded = new WindowsXmlReader(out, maxLineBytes, embeddedBytes)
  const readEmbedded = (text: string, line: number, offset: number, rawOffset: number, rawLength: number): void =>
    readXmlText(embedded, embeddedBytes, out, text, line, offset, rawOffset, rawLength)
  const json = new JsonReader(out, maxLineBytes, lineBytes, settings.crowdstrikeHosts, readEmbedded)
  const csv = new CsvReader({ out, hostOf: settings.crowdstrikeHosts, embeddedXml: readEmbedded }, maxLineBytes, lineBytes)
  // Only a file's first line can make it CSV (its header).
  let firstLine = true

  const handler: LineHandler = {
    line(text, lineNo, offset) {
      if (csv.active) return csv.line(text, lineNo, offset)
      const c = firstNonSpace(text)
      if (firstLine && c >= 0) {
        firstLine = false
        const columns = format === 'auto' && c !== LT && c !== BRACE && c !== BRACKET ? csvHeader(text) : null
        if (columns !== null) return csv.start(columns)
      }
      if (xml.busy) {
        if (!(xml.resyncing && format === 'auto' && startsJson(text, c))) return xml.line(text, lineNo, offset)
        xml.stopResync()
      }
      if (json.busy) {
        // A JSON continuation line never starts with `<` (strings cannot span lines).
        if (!(format === 'auto' && c === LT)) return json.line(text, lineNo, offset)
        json.cut(lineNo)
      }
      if (c < 0) return
      if (format === 'windows-xml' || (format === 'auto' && c === LT)) return xml.line(text, lineNo, offset)
      if (format === 'ndjson' || (format === 'auto' && startsJson(text, c))) return json.line(text, lineNo, offset)
      const shown = JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}…` : text)
      out.push(errorItem(lineNo, offset, `${UNRECOGNIZED_LINE}found ${shown}`))
    },
    unreadable(lineNo, offset, message) {
      firstLine = false
      xml.interrupt(lineNo)
      json.interrupt(lineNo)
      csv.interrupt(lineNo)
      out.push(errorItem(lineNo, offset, message))
    },
  }

  // A long line is cut between XML events unless the upload is declared JSON.
  const cutXmlEvents = format !== 'ndjson'
  let splitter = new LineSplitter(handler, maxLineBytes, 'utf8', lineBytes, cutXmlEvents)
  let failure: DecompressionError | null = null
  try {
    const text = await peek(await gunzipIfGzip(input, settings.limits), Math.max(BINARY_MAGIC_BYTES, FILE_MAGIC.length, ARCHIVE_HEAD_BYTES))
    const archive = archiveReader(text.head)
    if (archive !== null && entry === null) {
      // No file of the archive may outgrow its window of the content.
      const inArchive = { ...settings, limits: { ...settings.limits, maxBytes: Math.min(settings.limits.maxBytes, ENTRY_SPAN) } }
      for await (const part of archive(text.rest, inArchive.limits)) {
        if (part.kind === 'error') out.push(errorItem(1, part.offset, part.message))
        else if (part.index >= MAX_ARCHIVE_ENTRIES) {
          out.push(errorItem(1, part.offset, `the archive holds more than ${MAX_ARCHIVE_ENTRIES} entries; entry ${part.name} and those after it were not read`))
          break
        }
        // The archive's own errors go out before the next file's items, in archive order.
        yield* drain(true)
        if (part.kind === 'entry') yield* readFile(part.data, inArchive, { name: part.name, base: entryBase(part.index) })
      }
      yield* drain(true)
      return
    }
    if (isEvtxFile(text.head)) {
      for await (const entries of readEvtxFile(text.rest)) {
        for (const record of entries) {
          if (record.kind === 'error') out.push(errorItem(record.ordinal, record.offset, record.message))
          else readEmbedded(record.xml, record.ordinal, record.offset, record.offset, record.size)
        }
        yield* drain()
      }
      yield* drain(true)
      return
    }
    // An archive inside an archive is refused like a binary file.
    const binary = archive !== null ? `the file is a ${archiveFormat(text.head)!.toUpperCase()} archive inside an archive, which is not read: put its files in the outer archive` : binaryFormatError(text.head)
    if (binary !== null) out.push(errorItem(1, 0, binary))
    const encoding = sniffEncoding(text.head)
    // A binary file is not read on (closing the stream stops its source too).
    const bytes = binary !== null ? nothing(text.rest) : encoding === 'utf8' ? text.rest : utf16LittleEndian(text.rest, encoding === 'utf16be')
    if (encoding !== 'utf8') splitter = new LineSplitter(handler, maxLineBytes, 'utf16le', lineBytes, cutXmlEvents)
    for await (const chunk of bytes) {
      for (let offset = 0; offset < chunk.byteLength; offset += SLICE_BYTES) {
        splitter.push(chunk.subarray(offset, offset + SLICE_BYTES))
        yield* drain()
      }
    }
  } catch (err) {
    if (!(err instanceof DecompressionError)) throw err
    failure = err
  }
  // Where the data stopped; a partial last line is still read unless the cap cut it.
  const stoppedAt = splitter.currentLine
  const stoppedOffset = splitter.currentOffset
  if (failure?.capped) splitter.discard()
  splitter.end()
  xml.end()
  json.end()
  csv.end()
  if (failure !== null) out.push(errorItem(stoppedAt, stoppedOffset, failure.message))
  yield* drain(true)
}

/** Items of a file inside an archive: errors name the file, events point into its window of the content. */
function placeInEntry(items: IngestItem[], entry: ArchiveEntry): IngestItem[] {
  return items.map((item) => {
    if (item.kind === 'error') return errorItem(item.line, item.offset, `entry ${entry.name}: ${item.message}`)
    if (item.kind === 'event') item.rawOffset += entry.base
    return item
  })
}

/**
 * One XML event given as text — an EVTX record rendered, a Splunk export's `_raw` — read like a
 * line of an export (and ended, so an unclosed one is reported with it); the events it gives point
 * at `rawOffset`/`rawLength`, the bytes of the upload that held it.
 */
function readXmlText(reader: WindowsXmlReader, lineBytes: LineBytes, out: IngestItem[], text: string, line: number, offset: number, rawOffset: number, rawLength: number): void {
  const first = out.length
  lineBytes.set(text, rawOffset, text.length, 1)
  reader.line(text, line, offset)
  reader.end()
  for (let i = first; i < out.length; i++) {
    const item = out[i]!
    if (item.kind !== 'event') continue
    item.rawOffset = rawOffset
    item.rawLength = rawLength
  }
}

/** Closes `stream` unread and yields nothing. */
async function* nothing(stream: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  for await (const _ of stream) break
}
