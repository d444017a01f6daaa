import type pg from 'pg'

/**
 * A rule's alerting settings, as Elastic's: alert suppression (detections of the rule that share
 * the values of up to 3 BY fields within a window are suppressed into the first one — kept, not
 * lost, and counted there) and a cap on the new detections one run (an upload or a scan) may
 * create, the rest reported as overflow. Risk events are not suppressed: risk scores what happened,
 * suppression only spares analysts repeated alerts.
 */
export interface RuleAlerting {
  /** BY output field names (up to 3); empty: no suppression. */
  suppressBy: readonly string[]
  /** Suppression window in milliseconds, counted from the first detection's firstTime (event time). */
  suppressWindowMs: number | null
  /** At most this many new detections of the rule per run; null: no cap. */
  maxDetectionsPerRun: number | null
}

export const NO_ALERTING: RuleAlerting = { suppressBy: [], suppressWindowMs: null, maxDetectionsPerRun: null }

/** The alerting settings of a rules row. */
export function alertingOf(row: { suppressBy?: string[]; suppressWindowSeconds?: number | null; maxDetectionsPerRun?: number | null }): RuleAlerting {
  return {
    suppressBy: row.suppressBy ?? [],
    suppressWindowMs: row.suppressWindowSeconds == null ? null : row.suppressWindowSeconds * 1000,
    maxDetectionsPerRun: row.maxDetectionsPerRun ?? null,
  }
}

interface CandidateRow {
  ruleId: string
  groupKey: string
  firstTime: number | null
}

/**
 * Applies each rule's cap to the rows of one run: rows of groups the tenant does not have yet are
 * new; per rule, the first `maxDetectionsPerRun` of them by firstTime (then key) are kept. Pure.
 */
export function capNewDetections<R extends CandidateRow>(
  rows: readonly R[],
  isExisting: (row: R) => boolean,
  alertingOf: (ruleId: string) => RuleAlerting,
): { kept: R[]; overflow: Record<string, number> } {
  const fresh = new Map<string, R[]>()
  for (const row of rows) {
    if (isExisting(row) || alertingOf(row.ruleId).maxDetectionsPerRun === null) continue
    fresh.set(row.ruleId, [...(fresh.get(row.ruleId) ?? []), row])
  }
  const dropped = new Set<R>()
  const overflow: Record<string, number> = {}
  for (const [ruleId, list] of fresh) {
    const max = alertingOf(ruleId).maxDetectionsPerRun!
    if (list.length <= max) continue
    list.sort((a, b) => (a.firstTime ?? 0) - (b.firstTime ?? 0) || (a.groupKey < b.groupKey ? -1 : a.groupKey > b.groupKey ? 1 : 0))
    for (const row of list.slice(max)) dropped.add(row)
    overflow[ruleId] = list.length - max
  }
  return { kept: rows.filter((r) => !dropped.has(r)), overflow }
}

/**
 * Suppresses each new detection of a rule with suppression into the earliest unsuppressed
 * detection of the same rule with the same values of the suppression fields whose window (its
 * firstTime + the window) contains the new one's firstTime. New detections are taken in firstTime
 * order, so one of them can be the first of a later one. Returns the ids of those suppressed.
 */
export async function suppressNewDetections(
  client: pg.ClientBase,
  tenantId: string,
  created: readonly { id: string; ruleId: string; fields: Record<string, string>; firstTime: number | null }[],
  alertingOf: (ruleId: string) => RuleAlerting,
): Promise<string[]> {
  const candidates = created
    .filter((d) => d.firstTime !== null && alertingOf(d.ruleId).suppressBy.length > 0)
    .sort((a, b) => a.firstTime! - b.firstTime! || (a.id < b.id ? -1 : 1))
  const suppressed: string[] = []
  for (const d of candidates) {
    const { suppressBy, suppressWindowMs } = alertingOf(d.ruleId)
    const values = suppressBy.map((f) => d.fields[f] ?? null)
    const params: unknown[] = [tenantId, d.ruleId, d.id, new Date(d.firstTime!).toISOString(), suppressWindowMs! / 1000]
    // A field the rule's BY list no longer has matches as a missing (null) value on both sides.
    const same = suppressBy.map((f, i) => `(p.fields->>$${params.push(f)}) IS NOT DISTINCT FROM $${params.push(values[i])}::text`)
    const { rowCount } = await client.query(
      `WITH first AS (
         SELECT p.id FROM detections p
         WHERE p.tenant_id = $1 AND p.rule_id = $2 AND p.id <> $3 AND p.suppressed_into IS NULL
           AND p.first_time <= $4::timestamptz AND $4::timestamptz < p.first_time + make_interval(secs => $5)
           AND ${same.join(' AND ')}
         ORDER BY p.first_time, p.id LIMIT 1)
       UPDATE detections d SET suppressed_into = first.id FROM first WHERE d.id = $3`,
      params,
    )
    if (rowCount) suppressed.push(d.id)
  }
  return suppressed
}
