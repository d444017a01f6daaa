import type pg from 'pg'
import type { PrismaClient } from '../db/prisma.js'
import { withTransaction } from '../db/transaction.js'
import { runGroupedQueryPerUpload } from '../sql-backend/index.js'
import { contributionOf, riskObjectsOf } from '../store/contribution-of.js'
import { countEventsIn } from '../store/event-hours.js'
import { evaluateRiskIncidents } from '../store/risk-incident-evaluation.js'
import { replaceRuleContributionsOfUploads, type UploadRows } from '../store/rule-contributions-of-uploads.js'
import { loadCoverage, mergeRanges, rangeArrays, widenToUploadSpan, writeCoverages, type TimeRange } from '../store/rule-coverage.js'
import type { TenantRule } from '../store/tenant-rules.js'
import { UPLOAD_LOCK_CLASS } from '../store/upload-lock.js'
import { loadScanRules } from './scan-rules.js'
import { sameCoverage, uploadTargets, windowTargets, type ScanTarget } from './scan-targets.js'

/**
 * Runs one recorded scan (table `scans`) in Postgres: for each rule, ONE grouped query (the SQL
 * backend) over the uploads it must evaluate — never the events themselves into Node — then, per
 * batch of uploads, a transaction under their locks that replaces the rule's contribution to each
 * and its coverage of each.
 * Every write is a recomputation, so a retried job, an overlapping window or a second scan of the
 * same events leaves counts, detections and risk events as they were.
 */

export interface ScanDeps {
  pool: pg.Pool
  prisma: PrismaClient
  /** Told the new (unsuppressed) detections of each transaction once it has committed (live updates). */
  onDetectionsCreated?: (detectionIds: string[]) => void
}

/** A rule as the scan record keeps it: what ran, at which revision, or why it could not. */
export interface ScannedRule {
  ruleId: string
  escuId?: string
  name?: string
  revision?: number
  uploads?: number
  detections?: number
  /** New detections left out by the rule's cap on detections per run. */
  overflow?: number
  /** New detections suppressed into an earlier one. */
  suppressed?: number
  error?: string
}

export interface ScanOutcome {
  status: 'SUCCEEDED' | 'ALREADY_DONE'
  eventsExamined: number
  detectionsWritten: number
  uploadsScanned: number
}

interface ScanRow {
  kind: 'MANUAL' | 'SCHEDULED' | 'RESCAN'
  upload_id: string | null
  window_from: Date | null
  window_to: Date | null
  rules: ScannedRule[]
}

export async function executeScan(deps: ScanDeps, scanId: string, tenantId: string, now: () => Date = () => new Date()): Promise<ScanOutcome> {
  const started = Date.now()
  const { rows } = await deps.pool.query<ScanRow>(
    `UPDATE scans SET status = 'RUNNING', attempts = attempts + 1, started_at = now(), failure_reason = NULL
     WHERE id = $1 AND tenant_id = $2 AND status IN ('QUEUED', 'RUNNING')
     RETURNING kind, upload_id, window_from, window_to, rules`,
    [scanId, tenantId],
  )
  const scan = rows[0]
  if (scan === undefined) return { status: 'ALREADY_DONE', eventsExamined: 0, detectionsWritten: 0, uploadsScanned: 0 }

  const { rules, failures } = await loadScanRules(deps.prisma, tenantId, scan.rules.map((r) => r.ruleId))
  const report = new Map<string, ScannedRule>(scan.rules.map((r) => [r.ruleId, { ruleId: r.ruleId }]))
  for (const f of failures) report.set(f.ruleId, { ruleId: f.ruleId, name: f.name, error: f.message })
  const examined = new Map<string, TimeRange[]>()
  let detectionsWritten = 0
  for (const rule of rules) {
    const targets =
      scan.kind === 'RESCAN'
        ? await uploadTargets(deps.pool, tenantId, rule, scan.upload_id!)
        : await windowTargets(deps.pool, tenantId, rule, { from: scan.window_from!.getTime(), to: scan.window_to!.getTime() })
    const tally = await scanRule(deps, tenantId, scanId, rule, targets, now)
    for (const t of targets) examined.set(t.uploadId, [...(examined.get(t.uploadId) ?? []), ...t.ranges])
    detectionsWritten += tally.rows
    report.set(rule.ruleId, {
      ruleId: rule.ruleId, escuId: rule.compiled.rule.id, name: rule.compiled.rule.name, revision: rule.revision,
      uploads: targets.length, detections: tally.rows, overflow: tally.overflow, suppressed: tally.suppressed,
    })
  }
  const eventsExamined = await countEventsIn(deps.pool, tenantId, examined)
  await deps.pool.query(
    `UPDATE scans SET status = 'SUCCEEDED', finished_at = now(), rules = $2, events_examined = $3, detections_written = $4, uploads_scanned = $5, duration_ms = $6 WHERE id = $1`,
    [scanId, JSON.stringify([...report.values()]), eventsExamined, detectionsWritten, examined.size, Date.now() - started],
  )
  return { status: 'SUCCEEDED', eventsExamined, detectionsWritten, uploadsScanned: examined.size }
}

/** What scanning one rule wrote. */
interface RuleTally {
  rows: number
  /** New detections left out by the rule's cap on detections per run. */
  overflow: number
  /** New detections suppressed into an earlier one. */
  suppressed: number
}

/**
 * Uploads written per transaction: their locks are taken together, so one transaction (BEGIN,
 * locks, checks, coverage, risk incidents, COMMIT) serves many uploads; bounded, so that a scan of
 * thousands of uploads neither fills the lock table nor keeps thousands of uploads locked at once.
 */
const UPLOADS_PER_TRANSACTION = 50

/** Evaluates one rule over its targets. */
async function scanRule(deps: ScanDeps, tenantId: string, scanId: string, rule: TenantRule, targets: ScanTarget[], now: () => Date): Promise<RuleTally> {
  const tally: RuleTally = { rows: 0, overflow: 0, suppressed: 0 }
  if (targets.length === 0) return tally
  const rowsByUpload = await runGroupedQueryPerUpload(deps.pool, rule.compiled, { tenantId, coverage: rangeArrays(targets.map((t) => [t.uploadId, queryRanges(t.ranges, t)])) })
  const sorted = [...targets].sort((a, b) => (a.uploadId < b.uploadId ? -1 : a.uploadId > b.uploadId ? 1 : 0))
  for (let i = 0; i < sorted.length; i += UPLOADS_PER_TRANSACTION) {
    const batch = sorted.slice(i, i + UPLOADS_PER_TRANSACTION)
    const created = await withTransaction(deps.pool, async (client): Promise<string[]> => {
      const ids = batch.map((t) => t.uploadId)
      // The uploads' locks: their own (re-)processing and other scans of them wait, and vice versa.
      // Taken all at once, in upload id order, before any row lock: every other holder takes one
      // upload's lock first thing, and scans take theirs in the same order, so none waits in a cycle.
      await client.query('SELECT pg_advisory_xact_lock($1, hashtext(u)) FROM unnest($2::text[]) WITH ORDINALITY AS x(u, i) ORDER BY i', [UPLOAD_LOCK_CLASS, ids])
      const { rows } = await client.query<{ id: string; attempts: number }>(
        `SELECT id, attempts FROM uploads WHERE id = ANY($1::uuid[]) AND status IN ('SUCCEEDED', 'SUCCEEDED_WITH_ERRORS')`,
        [ids],
      )
      const attempts = new Map(rows.map((r) => [r.id, r.attempts]))
      const coverage = await loadCoverage(client, rule.ruleId, ids)
      const covered: { uploadId: string; ranges: TimeRange[] }[] = []
      const writes: UploadRows[] = []
      for (const target of batch) {
        // Re-processed (or deleted) since the targets were chosen: its own job evaluates it whole.
        if (attempts.get(target.uploadId) !== target.attempts) continue
        let ranges = target.ranges
        let grouped = rowsByUpload.get(target.uploadId) ?? []
        const current = coverage.get(target.uploadId) ?? null
        if (!sameCoverage(current, target.before)) {
          // Another scan covered more of it meanwhile: recompute over both, under the lock.
          ranges = mergeRanges([...(current?.ranges ?? []), ...target.ranges])
          const again = await runGroupedQueryPerUpload(client, rule.compiled, { tenantId, coverage: rangeArrays([[target.uploadId, queryRanges(ranges, target)]]) })
          grouped = again.get(target.uploadId) ?? []
        }
        writes.push({ uploadId: target.uploadId, rows: grouped.map((row) => contributionOf(row, rule)) })
        covered.push({ uploadId: target.uploadId, ranges })
      }
      const written = await replaceRuleContributionsOfUploads(client, tenantId, rule.ruleId, writes, { by: `scan ${scanId}`, alerting: rule.alerting })
      tally.rows += written.rows
      tally.overflow += written.overflow[rule.ruleId] ?? 0
      tally.suppressed += written.suppressed
      const touched = writes.flatMap((w) => w.rows)
      await writeCoverages(client, tenantId, rule.ruleId, rule.revision, covered)
      // Once for the batch: the evaluation recomputes each object's incidents from all its risk
      // events, which now include every upload of the batch.
      if (touched.length > 0) await evaluateRiskIncidents(client, tenantId, { now: now(), objects: riskObjectsOf(touched) })
      return written.created
    })
    if (created.length > 0) deps.onDetectionsCreated?.(created)
  }
  return tally
}

/**
 * The ranges to read for `ranges` of a target: open where they reach past the upload's first or
 * last event, the same events — a range open at both ends lets the query take the upload whole
 * instead of checking each event's time. The coverage recorded stays `ranges`.
 */
function queryRanges(ranges: readonly TimeRange[], target: ScanTarget): TimeRange[] {
  return ranges.map((r) => widenToUploadSpan(r, target.span))
}


/** Records the final failure of a scan job (after its retries, or for a scan that cannot run). */
export async function markScanFailed(pool: pg.Pool, scanId: string, reason: string): Promise<void> {
  await pool.query(`UPDATE scans SET status = 'FAILED', finished_at = now(), failure_reason = $2 WHERE id = $1 AND status IN ('QUEUED', 'RUNNING')`, [scanId, reason.slice(0, 2000)])
}
