import type pg from 'pg'
import { covers, loadCoverage, mergeRanges, WHOLE_UPLOAD, type TimeRange } from '../store/rule-coverage.js'

/**
 * Which uploads a scan must (re-)evaluate with one rule, and over what: the rule's coverage of the
 * upload grows by the scan's window, and the rule's contribution is recomputed over all of it.
 * An upload the rule has already evaluated over the whole window at its current revision is left
 * alone — ingest evaluates every upload whole with the rules enabled then, so scheduled scans only
 * do work for rules added or changed since.
 */

/** The rule's coverage of an upload before the scan (null: none). */
export type Coverage = { revision: number; ranges: TimeRange[] } | null

export interface ScanTarget {
  uploadId: string
  /** The upload's attempts when the target was chosen: a re-processed upload is left to its own job. */
  attempts: number
  before: Coverage
  /** The coverage after the scan, which the contribution is recomputed over. */
  ranges: TimeRange[]
  /** The upload's first and last event time (epoch ms), which every event of it lies within; unknown for a rescan. */
  span?: { first: number; last: number }
}

/**
 * The coverage to recompute over when a rule at `revision` scans `want` of an upload, or null when
 * nothing would change (`force`: recompute anyway, as rescanUpload does).
 */
export function plannedCoverage(before: Coverage, revision: number, want: TimeRange, force = false): TimeRange[] | null {
  if (!force && before !== null && before.revision === revision && covers(before.ranges, want)) return null
  return mergeRanges([...(before?.ranges ?? []), want])
}

/** Whether two coverages are the same (the check that nobody changed it while the scan ran). */
export function sameCoverage(a: Coverage, b: Coverage): boolean {
  if (a === null || b === null) return a === b
  return a.revision === b.revision && a.ranges.length === b.ranges.length && a.ranges.every((r, i) => r.from === b.ranges[i]!.from && r.to === b.ranges[i]!.to)
}

const FINISHED = `status IN ('SUCCEEDED', 'SUCCEEDED_WITH_ERRORS')`

/** The finished uploads of the tenant with events in `window` that the rule must evaluate. */
export async function windowTargets(client: pg.ClientBase | pg.Pool, tenantId: string, rule: { ruleId: string; revision: number }, window: TimeRange): Promise<ScanTarget[]> {
  const { rows } = await client.query<{ id: string; attempts: number; first_event_time: Date; last_event_time: Date }>(
    `SELECT id, attempts, first_event_time, last_event_time FROM uploads WHERE tenant_id = $1 AND ${FINISHED}
       AND first_event_time < $3::timestamptz AND last_event_time >= $2::timestamptz ORDER BY id`,
    [tenantId, new Date(window.from).toISOString(), new Date(window.to).toISOString()],
  )
  // Only the part of the window where the upload has events matters: a wider window of an
  // upload already covered over all its events is nothing new.
  const targets = await planTargets(client, rule, rows, (u) => ({
    from: Math.max(window.from, u.first_event_time.getTime()),
    to: Math.min(window.to, u.last_event_time.getTime() + 1),
  }), false)
  const spanOf = new Map(rows.map((u) => [u.id, { first: u.first_event_time.getTime(), last: u.last_event_time.getTime() }]))
  return targets.map((t) => ({ ...t, span: spanOf.get(t.uploadId) }))
}

/** The upload as a target of a rescan: the whole upload, recomputed even if already covered. */
export async function uploadTargets(client: pg.ClientBase | pg.Pool, tenantId: string, rule: { ruleId: string; revision: number }, uploadId: string): Promise<ScanTarget[]> {
  const { rows } = await client.query<{ id: string; attempts: number }>(`SELECT id, attempts FROM uploads WHERE tenant_id = $1 AND id = $2 AND ${FINISHED}`, [tenantId, uploadId])
  return planTargets(client, rule, rows, () => WHOLE_UPLOAD, true)
}

async function planTargets<U extends { id: string; attempts: number }>(
  client: pg.ClientBase | pg.Pool,
  rule: { ruleId: string; revision: number },
  uploads: U[],
  want: (upload: U) => TimeRange,
  force: boolean,
): Promise<ScanTarget[]> {
  if (uploads.length === 0) return []
  const coverage = await loadCoverage(client, rule.ruleId, uploads.map((u) => u.id))
  const out: ScanTarget[] = []
  for (const u of uploads) {
    const before = coverage.get(u.id) ?? null
    const ranges = plannedCoverage(before, rule.revision, want(u), force)
    if (ranges !== null) out.push({ uploadId: u.id, attempts: u.attempts, before, ranges })
  }
  return out
}
