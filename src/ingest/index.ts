/**
 * The ingest layer: raw log uploads (Windows events — Sysmon EventID 1 and Security 4688 — as XML
 * or in the common JSON renderings, and CrowdStrike FDR JSON; optionally gzip, UTF-8 or UTF-16)
 * streamed into CIM `Endpoint.Processes` events. This is the only import path for other modules.
 */
export { readEventBatches, UNRECOGNIZED_LINE } from './read-event-batches.js'
/** The text of an event's raw bytes (its item's rawOffset/rawLength), in the upload's encoding. */
export { rawEventText } from './raw-event-text.js'
export { chunkStartOf, evtxChunkRange, isEvtxRecord, renderEvtxRecords } from './evtx/evtx-file.js'
export { detectFormat, type DetectedFormat } from './detect-format.js'
export { isGzip } from './bytes/gunzip.js'
export { archiveFormat } from './archive/archives.js'
/** Ranges of a file's content as the reader saw it (inflated, per archive entry), for the drilldown. */
export { readContentRanges, type ContentRange } from './content-ranges.js'
export { foldIngestItems, newIngestStats, MAX_KEPT_ERRORS, MAX_SKIPPED_KINDS, type IngestStats } from './stats.js'
export { LOG_FORMATS, type EventSource, type IngestBatch, type IngestItem, type LogFormat, type ReadOptions } from './types.js'
