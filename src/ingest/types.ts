import type { ProcessEvent } from '../detection/event.js'
import { storableText } from './storable-text.js'

/**
 * The vocabulary of the ingest layer: what a reader yields for every line or event of an upload.
 * Parsing never throws on bad input; malformed data becomes an `error` item with its position.
 */

/** Formats a client may name for an upload; `'auto'` decides per line from the content. */
export const LOG_FORMATS = ['windows-xml', 'ndjson'] as const
export type LogFormat = (typeof LOG_FORMATS)[number]

/** The process-creation sources Watchpost normalizes into CIM `Endpoint.Processes`. */
export type EventSource = 'sysmon' | 'security-4688' | 'crowdstrike'

export type IngestItem =
  /**
   * `key` identifies the raw event within its source, so the same event uploaded twice is stored
   * and counted once: Computer|Channel|EventRecordID for Windows events, aid|TargetProcessId|timestamp
   * for CrowdStrike. Null when the event lacks a part of it (it then cannot be recognised again).
   * `rawOffset` and `rawLength` are where the event's own text (one `<Event>…</Event>` or one JSON
   * object, whatever surrounds it on its lines) is in the decompressed input, in bytes.
   */
  | { kind: 'event'; event: ProcessEvent; source: EventSource; key: string | null; line: number; rawOffset: number; rawLength: number }
  /**
   * A well-formed event that is not a process creation: counted, not an error. `eventKind` is its
   * key in `IngestStats.skippedByKind`: `sysmon:3`, `security:4624`, `windows:<Channel>:<EventID>`,
   * `crowdstrike:DnsRequest` or `json:unsupported`.
   */
  | { kind: 'skipped'; line: number; source: EventSource | 'other'; eventKind: string; reason: string }
  /**
   * Malformed input. `line` is the 1-based line where the bad event (or line) starts and `offset`
   * the byte offset of that line's start in the decompressed input (in the input's own encoding).
   */
  | { kind: 'error'; line: number; offset: number; message: string }

export interface IngestBatch {
  items: IngestItem[]
}

export interface ReadOptions {
  /**
   * Default `'auto'`: each line is XML if it starts with `<`, JSON if it starts with `{` (a JSON
   * object may span lines). `'ndjson'` reads every line as JSON, `'windows-xml'` as XML.
   */
  format?: LogFormat | 'auto'
  /** The aidmaster lookup: CrowdStrike agent id → host name (the add-on's `aid_computer_name`). */
  crowdstrikeHosts?: (aid: string) => string | undefined
  /** Items per yielded batch (default 250). */
  batchSize?: number
  /** Cap on the bytes a gzip upload may inflate to (default 4 GiB); exceeding it is an error. */
  maxDecompressedBytes?: number
  /**
   * Cap on a gzip upload's inflated:compressed ratio once its first MiB is out (default 100; 0
   * for none); exceeding it is an error that ends the read, as for maxDecompressedBytes.
   */
  maxDecompressionRatio?: number
  /**
   * Longest accepted line in bytes (default 8 MiB), and the cap (in characters) on one
   * multi-line XML event or JSON object; anything longer is reported and skipped, so memory stays bounded.
   */
  maxLineBytes?: number
}

/** Where finished items go; the readers append and the batcher drains. */
export type ItemSink = IngestItem[]

/** Longest error message: messages quote the input (a bad value may be megabytes long), and an upload keeps 1,000 of them. */
export const MAX_ERROR_MESSAGE_CHARS = 500

/** Builds an error item (the readers' one way to report malformed input), its message cut to size and storable. */
export function errorItem(line: number, offset: number, message: string): IngestItem {
  const bounded = message.length > MAX_ERROR_MESSAGE_CHARS ? `${message.slice(0, MAX_ERROR_MESSAGE_CHARS)}… (message cut at ${MAX_ERROR_MESSAGE_CHARS} characters)` : message
  return { kind: 'error', line, offset, message: storableText(bounded) }
}
