import { UnrecoverableError } from 'bullmq'
import type pg from 'pg'
import type { PrismaClient } from '../src/db/prisma.js'
import { DetectionAggregator } from '../src/detection/index.js'
import { contributionOf, riskObjectsOf } from '../src/store/contribution-of.js'
import { foldIngestItems, newIngestStats, readEventBatches, type IngestStats, type LogFormat, type ReadOptions } from '../src/ingest/index.js'
import { clearUploadResults, writeContributions, type DetectionContributionInput } from '../src/store/detection-writer.js'
import { copyEvents, type CopyResult, type StoredEvent } from '../src/store/event-copy.js'
import { coverWholeUpload } from '../src/store/rule-coverage.js'
import { countHour, recordEventHours } from '../src/store/event-hours.js'
import { NO_ALERTING, type RuleAlerting } from '../src/store/detection-alerting.js'
import { loadEnabledRules } from '../src/store/tenant-rules.js'
import { readUploadChunks } from '../src/store/upload-chunks.js'
import { governed } from '../src/runtime/memory-governor.js'
import { loadCrowdstrikeHosts } from '../src/store/crowdstrike-hosts.js'
import { withTransaction } from '../src/db/transaction.js'
import { UPLOAD_LOCK_CLASS } from '../src/store/upload-lock.js'
import { evaluateRiskIncidents } from '../src/store/risk-incident-evaluation.js'

/**
 * Processes one upload: streams its stored bytes through the parser, COPYs the normalized events,
 * runs the tenant's enabled rules and records the grouped detections and risk events. Everything
 * is written in ONE transaction that holds the upload's advisory lock, so a crash leaves nothing
 * behind, a concurrent duplicate waits and then sees SUCCEEDED, and a retry starts clean.
 */

export { UPLOAD_LOCK_CLASS }

export interface ProcessUploadDeps {
  pool: pg.Pool
  prisma: PrismaClient
  /** How often the bytes and events read so far are written to the upload row (default 1 s). */
  progressIntervalMs?: number
  /**
   * Told the figures each time they have been written (and once when the run starts), for live
   * updates (src/live); called outside the job's transaction, never awaited.
   */
  onProgress?: (report: ProgressReport) => void
  /** Caps on gzip uploads (MAX_DECOMPRESSED_BYTES, MAX_GZIP_RATIO); the reader's defaults otherwise. */
  gzipLimits?: GzipLimits
  /** Aborted when the worker shuts down: reading stops at the next batch and the transaction rolls back. */
  signal?: AbortSignal
}

/** What the worker wrote of a running upload's progress (see src/services/upload-progress.ts). */
export interface ProgressReport {
  bytesProcessed: number
  eventsProcessed: number
  startedAt: Date
  /** When the figures were written. */
  at: Date
}

export type GzipLimits = Pick<ReadOptions, 'maxDecompressedBytes' | 'maxDecompressionRatio'>

/** How an upload ended: every event read, some unreadable, or nothing usable at all. */
export type UploadOutcome = 'SUCCEEDED' | 'SUCCEEDED_WITH_ERRORS' | 'FAILED'

/** Statuses after which a job has nothing left to do (FAILED from bad input is final too). */
const FINISHED = new Set(['SUCCEEDED', 'SUCCEEDED_WITH_ERRORS'])

export function uploadOutcome(stats: IngestStats, sizeBytes: number): { status: UploadOutcome; reason: string | null } {
  if (sizeBytes === 0) return { status: 'FAILED', reason: 'the upload is empty (0 bytes)' }
  if (stats.errorCount === 0) return { status: 'SUCCEEDED', reason: null }
  if (stats.events > 0) return { status: 'SUCCEEDED_WITH_ERRORS', reason: null }
  const first = stats.errors[0]
  return { status: 'FAILED', reason: `no event could be read; first error on line ${first?.line}: ${first?.message}` }
}

export interface ProcessUploadResult {
  status: 'SUCCEEDED' | 'ALREADY_DONE'
  /** The upload's final status. */
  outcome: UploadOutcome
  stats: IngestStats
  detectionRows: number
  /** The upload's size as received (0 when it was already done). */
  sizeBytes: number
  /** New detections (not suppressed) this run created; committed once processUpload returns. */
  createdDetectionIds: string[]
}

export async function processUpload(deps: ProcessUploadDeps, uploadId: string, tenantId: string): Promise<ProcessUploadResult> {
  const { pool } = deps
  // Each attempt's progress starts from nothing: its rates are over this attempt alone.
  const marked = await pool.query<{ started_at: Date }>(
    `UPDATE uploads SET status = 'RUNNING', attempts = attempts + 1, started_at = now(), failure_reason = NULL,
       bytes_processed = 0, events_processed = 0, progress_at = NULL
     WHERE id = $1 AND tenant_id = $2 AND status NOT IN ('SUCCEEDED', 'SUCCEEDED_WITH_ERRORS') RETURNING started_at`,
    [uploadId, tenantId],
  )
  const startedAt = marked.rows[0]?.started_at
  if (startedAt) deps.onProgress?.({ bytesProcessed: 0, eventsProcessed: 0, startedAt, at: startedAt })
  return withTransaction(pool, async (client) => {
    // An advisory lock, not a row lock: the upload row must stay writable for progress updates.
    await client.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [UPLOAD_LOCK_CLASS, uploadId])
    const { rows } = await client.query<{ status: string; format_override: string | null; size_bytes: string; raw_purged_at: Date | null }>(
      'SELECT status, format_override, size_bytes, raw_purged_at FROM uploads WHERE id = $1 AND tenant_id = $2',
      [uploadId, tenantId],
    )
    const upload = rows[0]
    if (!upload) throw new UnrecoverableError(`upload ${uploadId} does not exist for tenant ${tenantId}`)
    if (FINISHED.has(upload.status) || marked.rowCount === 0) {
      return { status: 'ALREADY_DONE', outcome: upload.status as UploadOutcome, stats: newIngestStats(), detectionRows: 0, sizeBytes: 0, createdDetectionIds: [] }
    }
    // Re-running over no bytes would replace the upload's results with nothing (src/store/retention.ts).
    if (upload.raw_purged_at) throw new UnrecoverableError(`the raw bytes of upload ${uploadId} were purged by the tenant's retention period; it cannot be processed again`)
    await clearUploadResults(client, uploadId)
    const format = (upload.format_override ?? 'auto') as LogFormat | 'auto'
    const { stats, contributions, stored, evaluated } = await ingestAndDetect(deps, client, { uploadId, tenantId, format })
    const alertingOfRule = new Map(evaluated.map((r) => [r.ruleId, r.alerting]))
    const written = await writeContributions(client, tenantId, uploadId, contributions, { alerting: (ruleId) => alertingOfRule.get(ruleId) ?? NO_ALERTING })
    const detectionRows = written.rows
    // The upload is evaluated whole by these rules: scans leave it alone until a rule changes.
    await coverWholeUpload(client, tenantId, uploadId, evaluated)
    // Risk incidents (ES risk-based alerting) for the risk objects this upload wrote risk events for.
    await evaluateRiskIncidents(client, tenantId, { now: new Date(), objects: riskObjectsOf(contributions) })
    const outcome = uploadOutcome(stats, Number(upload.size_bytes))
    // clock_timestamp(), not now(): now() is when this transaction began, at the start of the job.
    await client.query(
      `UPDATE uploads SET status = $8, failure_reason = $9, finished_at = clock_timestamp(), event_count = $2, process_events = $3, skipped_count = $4,
         error_count = $5, errors = $6, detection_rows = $7, bytes_processed = size_bytes, skipped_by_kind = $10,
         duplicate_events = $11, first_event_time = $12, last_event_time = $13, detections_overflow = $14 WHERE id = $1`,
      [
        uploadId, stats.events, stats.processEvents, stats.skipped, stats.errorCount, JSON.stringify(stats.errors), detectionRows, outcome.status, outcome.reason,
        JSON.stringify(stats.skippedByKind ?? {}), stored.duplicates, stored.firstEventTime, stored.lastEventTime, JSON.stringify(written.overflow),
      ],
    )
    return { status: 'SUCCEEDED', outcome: outcome.status, stats, detectionRows, sizeBytes: Number(upload.size_bytes), createdDetectionIds: written.created }
  })
}

interface IngestResult {
  stats: IngestStats
  contributions: DetectionContributionInput[]
  stored: { duplicates: number; firstEventTime: Date | null; lastEventTime: Date | null }
  /** The rules (and revisions) every stored event was evaluated with. */
  evaluated: { ruleId: string; revision: number; alerting: RuleAlerting }[]
}

/** Streams the stored bytes through the parser into COPY, feeding every new event to the rules. */
async function ingestAndDetect(
  deps: ProcessUploadDeps,
  client: pg.ClientBase,
  job: { uploadId: string; tenantId: string; format: LogFormat | 'auto' },
): Promise<IngestResult> {
  const { rules } = await loadEnabledRules(deps.prisma, job.tenantId)
  const aggregator = new DetectionAggregator(rules.map((r) => r.compiled))
  const tenantRuleOf = new Map(rules.map((r) => [r.compiled, r]))
  const stats = newIngestStats()
  const crowdstrikeHosts = await loadCrowdstrikeHosts(client, job.tenantId)
  const progress = trackProgress(deps.pool, job.uploadId, { intervalMs: deps.progressIntervalMs ?? 1_000, events: () => stats.events, onProgress: deps.onProgress })
  async function* events(): AsyncGenerator<StoredEvent[]> {
    for await (const batch of readEventBatches(progress.count(governed(readUploadChunks(deps.pool, job.uploadId))), { format: job.format, crowdstrikeHosts, ...deps.gzipLimits })) {
      deps.signal?.throwIfAborted()
      foldIngestItems(stats, batch.items)
      const stored: StoredEvent[] = []
      for (const item of batch.items) {
        if (item.kind !== 'event') continue
        stored.push({ event: item.event, source: item.source, key: item.key, line: item.line, rawOffset: item.rawOffset, rawLength: item.rawLength })
      }
      yield stored
    }
  }
  // The rules see only the events this upload stored: one the tenant already had is counted once.
  let firstEventTime = Infinity
  let lastEventTime = -Infinity
  const eventsPerHour = new Map<number, number>()
  let copied: CopyResult
  try {
    copied = await copyEvents(client, job.tenantId, job.uploadId, events(), {
      // Only events some rule matches are held until their segment is stored (see CopyOptions.hold).
      hold: (s) => aggregator.matchesAny(s.event),
      onStored: (stored) => {
        for (const s of stored) aggregator.add(s.event)
      },
      onStoredTimes: (times) => {
        for (const time of times) {
          countHour(eventsPerHour, time)
          if (time < firstEventTime) firstEventTime = time
          if (time > lastEventTime) lastEventTime = time
        }
      },
    })
  } finally {
    progress.stop()
  }
  await recordEventHours(client, job.tenantId, job.uploadId, eventsPerHour)
  const contributions = aggregator.rows().map((row) => contributionOf(row, tenantRuleOf.get(row.rule)!))
  return {
    stats,
    contributions,
    stored: {
      duplicates: copied.duplicates,
      firstEventTime: copied.stored > 0 ? new Date(firstEventTime) : null,
      lastEventTime: copied.stored > 0 ? new Date(lastEventTime) : null,
    },
    evaluated: rules.map((r) => ({ ruleId: r.ruleId, revision: r.revision, alerting: r.alerting })),
  }
}

/** Records the job's failure on the upload (after BullMQ gave up, or for unrecoverable input). */
export async function markUploadFailed(pool: pg.Pool, uploadId: string, reason: string): Promise<void> {
  await pool.query(`UPDATE uploads SET status = 'FAILED', finished_at = now(), failure_reason = $2 WHERE id = $1 AND status NOT IN ('SUCCEEDED', 'SUCCEEDED_WITH_ERRORS')`, [
    uploadId,
    reason.slice(0, 2000),
  ])
}

/**
 * Counts bytes as they stream past and, on a timer, writes them with the events read so far outside
 * the job's transaction: one small UPDATE per interval whatever the upload's size, none while
 * nothing moved. A write that fails is skipped (the next one catches up); only a RUNNING upload is
 * written, so a late write cannot touch a finished one. One write at a time: two in flight on the
 * pool's connections could commit in the other order, and the older figures would then carry the
 * later progress_at, so that the progress seen went backwards.
 */
function trackProgress(pool: pg.Pool, uploadId: string, opts: { intervalMs: number; events: () => number; onProgress?: (report: ProgressReport) => void }) {
  let bytes = 0
  let written = 0
  let writing = false
  const timer = setInterval(() => {
    if (writing || bytes === written) return
    written = bytes
    writing = true
    const report = { bytesProcessed: bytes, eventsProcessed: opts.events() }
    pool
      .query<{ started_at: Date; progress_at: Date }>(
        `UPDATE uploads SET bytes_processed = $2, events_processed = $3, progress_at = clock_timestamp() WHERE id = $1 AND status = 'RUNNING' RETURNING started_at, progress_at`,
        [uploadId, report.bytesProcessed, report.eventsProcessed],
      )
      .then(({ rows }) => {
        if (rows[0]) opts.onProgress?.({ ...report, startedAt: rows[0].started_at, at: rows[0].progress_at })
      })
      .catch(() => {})
      .finally(() => {
        writing = false
      })
  }, opts.intervalMs)
  timer.unref()
  return {
    async *count(source: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
      for await (const chunk of source) {
        bytes += chunk.length
        yield chunk
      }
    },
    stop: () => clearInterval(timer),
  }
}
