import type pg from 'pg'
import { capNewDetections, NO_ALERTING, suppressNewDetections, type RuleAlerting } from './detection-alerting.js'
import { recordDetectionsCreated, recordDetectionsReopened } from './webhook-outbox.js'

/**
 * Writes what one upload contributed to the tenant's grouped detections, inside the caller's
 * transaction. A detection's totals are always recomputed from its contributions, so writing the
 * same upload again (a retried job, a re-parse) replaces rather than adds.
 *
 * Triage status (see store/detection-triage.ts) when an upload adds events to a detection:
 * CLOSED_TRUE_POSITIVE is reopened to NEW (the activity a SOC confirmed as malicious is happening
 * again), with a comment by `watchpost` naming the upload and its event count; the assignee stays.
 * CLOSED_FALSE_POSITIVE stays closed (benign activity recurring is what "false positive" means),
 * as do NEW and ACKNOWLEDGED; counts and times are updated in every case.
 */

export interface DetectionContributionInput {
  ruleId: string
  ruleRevision: number
  groupKey: string
  fields: Record<string, string>
  count: number
  firstTime: number | null
  lastTime: number | null
  risk: { object: string; type: string; score: number; message: string }[]
  threatObjects: { value: string; type: string }[]
  mitreTechniques: string[]
}

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString())

/** Removes an upload's earlier contributions, risk events and events (before re-writing them). */
export async function clearUploadResults(client: pg.ClientBase, uploadId: string): Promise<void> {
  const { rows } = await client.query<{ detection_id: string }>(
    'DELETE FROM detection_contributions WHERE upload_id = $1 RETURNING detection_id',
    [uploadId],
  )
  await client.query('DELETE FROM risk_events WHERE upload_id = $1', [uploadId])
  await client.query('DELETE FROM process_events WHERE upload_id = $1', [uploadId])
  await recomputeDetections(client, rows.map((r) => r.detection_id))
}

/**
 * Replaces what `ruleId` contributed from `uploadId` (a scan re-evaluating the upload) by `rows`:
 * the rule's contributions and risk events of the upload are recomputed, not added to, so scanning
 * the same events again never inflates a count. Detections left with no contribution are dropped.
 */
export async function replaceRuleContributions(
  client: pg.ClientBase,
  tenantId: string,
  uploadId: string,
  ruleId: string,
  rows: DetectionContributionInput[],
  options: WriteOptions,
): Promise<WriteResult> {
  // One statement: the risk events go in a data-modifying WITH, which runs whether read or not.
  const { rows: cleared } = await client.query<{ detection_id: string }>(
    `WITH risk AS (DELETE FROM risk_events WHERE upload_id = $1 AND rule_id = $2)
     DELETE FROM detection_contributions c USING detections d
     WHERE c.detection_id = d.id AND c.upload_id = $1 AND d.rule_id = $2 RETURNING c.detection_id`,
    [uploadId, ruleId],
  )
  const written = await writeContributions(client, tenantId, uploadId, rows, options)
  await recomputeDetections(client, cleared.map((r) => r.detection_id))
  return written
}

export interface WriteOptions {
  /** What wrote the rows (`upload <id>`, `scan <id>`), for the comment of a reopened detection. */
  by?: string
  /** Each rule's suppression and cap (detection-alerting.ts); none by default. */
  alerting?: (ruleId: string) => RuleAlerting
}

export interface WriteResult {
  /** Grouped rows written. */
  rows: number
  /** New detections left out by a rule's cap, per rule id. */
  overflow: Record<string, number>
  /** New detections suppressed into an earlier one. */
  suppressed: number
  /**
   * The ids of the new detections that were not suppressed: what alerting announces. Known in the
   * caller's transaction; announce them only after it commits.
   */
  created: string[]
}

/** Records the upload's grouped rows, applying each rule's cap and suppression to new detections. */
export async function writeContributions(
  client: pg.ClientBase,
  tenantId: string,
  uploadId: string,
  allRows: DetectionContributionInput[],
  options: WriteOptions = {},
): Promise<WriteResult> {
  const by = options.by ?? `upload ${uploadId}`
  const alerting = options.alerting ?? (() => NO_ALERTING)
  if (allRows.length === 0) return { rows: 0, overflow: {}, suppressed: 0, created: [] }
  const { rows: present } = await client.query<{ rule_id: string; group_key: string }>(
    `SELECT d.rule_id, d.group_key FROM detections d JOIN unnest($2::uuid[], $3::text[]) AS t(r, k) ON d.rule_id = t.r AND d.group_key = t.k WHERE d.tenant_id = $1`,
    [tenantId, allRows.map((r) => r.ruleId), allRows.map((r) => r.groupKey)],
  )
  const existing = new Set(present.map((r) => `${r.rule_id}\u0000${r.group_key}`))
  const isExisting = (r: DetectionContributionInput): boolean => existing.has(`${r.ruleId}\u0000${r.groupKey}`)
  const { kept: rows, overflow } = capNewDetections(allRows, isExisting, alerting)
  if (rows.length === 0) return { rows: 0, overflow, suppressed: 0, created: [] }
  await client.query(
    `INSERT INTO detections (tenant_id, rule_id, group_key, fields, rule_revision)
     SELECT $1, r, k, f, v FROM unnest($2::uuid[], $3::text[], $4::json[], $5::int[]) AS t(r, k, f, v)
     ON CONFLICT (tenant_id, rule_id, group_key) DO UPDATE SET rule_revision = GREATEST(detections.rule_revision, excluded.rule_revision)`,
    [tenantId, rows.map((r) => r.ruleId), rows.map((r) => r.groupKey), rows.map((r) => JSON.stringify(r.fields)), rows.map((r) => r.ruleRevision)],
  )
  // Lock the detections in a fixed order: concurrent uploads touching the same groups then take
  // turns, and each recompute below sees the other's committed contributions.
  const { rows: ids } = await client.query<{ id: string; rule_id: string; group_key: string; count: string; status: string }>(
    `SELECT d.id, d.rule_id, d.group_key, d.count, d.status FROM detections d
     JOIN unnest($2::uuid[], $3::text[]) AS t(r, k) ON d.rule_id = t.r AND d.group_key = t.k
     WHERE d.tenant_id = $1 ORDER BY d.id FOR UPDATE OF d`,
    [tenantId, rows.map((r) => r.ruleId), rows.map((r) => r.groupKey)],
  )
  const idOf = new Map(ids.map((r) => [`${r.rule_id}\u0000${r.group_key}`, r.id]))
  const detectionIds = rows.map((r) => idOf.get(`${r.ruleId}\u0000${r.groupKey}`)!)
  const written = rows.map((row, i) => ({ uploadId, detectionId: detectionIds[i]!, row }))
  await insertContributions(client, tenantId, written)
  await insertRiskEvents(client, tenantId, written)
  await recomputeDetections(client, detectionIds)
  // Locked above, so their status stands: only those closed as true positives can reopen.
  const closed = ids.filter((r) => r.status === 'CLOSED_TRUE_POSITIVE')
  if (closed.length > 0) await reopenClosedTruePositives(client, tenantId, by, new Map(closed.map((r) => [r.id, Number(r.count)])))
  const created = rows.flatMap((r, i) => (isExisting(r) ? [] : [{ id: detectionIds[i]!, ruleId: r.ruleId, fields: r.fields, firstTime: r.firstTime }]))
  const suppressed = new Set(await suppressNewDetections(client, tenantId, created, alerting))
  // Webhooks: in this transaction, so the notification exists exactly when the detection does.
  await recordDetectionsCreated(client, tenantId, created.map((d) => d.id))
  return { rows: rows.length, overflow, suppressed: suppressed.size, created: created.filter((d) => !suppressed.has(d.id)).map((d) => d.id) }
}

/**
 * Reopens the touched detections (locked above) closed as true positives whose count grew, each
 * with a comment saying why; a recomputation that finds the same events again reopens nothing.
 */
async function reopenClosedTruePositives(client: pg.ClientBase, tenantId: string, by: string, countBefore: Map<string, number>): Promise<void> {
  const { rows } = await client.query<{ id: string; count: string }>(
    `UPDATE detections SET status = 'NEW', status_changed_at = now()
     WHERE id = ANY($1::uuid[]) AND tenant_id = $2 AND status = 'CLOSED_TRUE_POSITIVE' AND count > (($3::jsonb) ->> id::text)::bigint
     RETURNING id, count`,
    [[...countBefore.keys()], tenantId, JSON.stringify(Object.fromEntries(countBefore))],
  )
  if (rows.length === 0) return
  const added = new Map(rows.map((r) => [r.id, Number(r.count) - (countBefore.get(r.id) ?? 0)]))
  const reopened = rows.map((r) => r.id)
  await client.query(
    `INSERT INTO detection_comments (tenant_id, detection_id, author, author_key_id, body, created_at)
     SELECT $1, d, 'watchpost', NULL, b, clock_timestamp() FROM unnest($2::uuid[], $3::text[]) AS t(d, b)`,
    [
      tenantId,
      reopened,
      reopened.map((id) => {
        const n = added.get(id) ?? 0
        return `Reopened: ${by} added ${n} event${n === 1 ? '' : 's'} after this detection was closed as a true positive.`
      }),
    ],
  )
  await recordDetectionsReopened(client, tenantId, by, reopened.map((id) => ({ id, addedEvents: added.get(id) ?? 0 })))
}

/** A grouped row written to a detection, from an upload. */
export interface WrittenRow {
  uploadId: string
  detectionId: string
  row: DetectionContributionInput
}

/** Adds the rows as contributions of their uploads to their detections (one statement, any number of uploads). */
export async function insertContributions(client: pg.ClientBase, tenantId: string, written: readonly WrittenRow[]): Promise<void> {
  if (written.length === 0) return
  await client.query(
    `INSERT INTO detection_contributions (detection_id, upload_id, tenant_id, count, first_time, last_time, rule_revision)
     SELECT d, u, $1, c, f, l, v FROM unnest($2::uuid[], $3::uuid[], $4::bigint[], $5::timestamptz[], $6::timestamptz[], $7::int[]) AS t(d, u, c, f, l, v)
     ON CONFLICT (detection_id, upload_id) DO UPDATE
       SET count = detection_contributions.count + excluded.count,
           first_time = LEAST(detection_contributions.first_time, excluded.first_time),
           last_time = GREATEST(detection_contributions.last_time, excluded.last_time),
           rule_revision = excluded.rule_revision`,
    [
      tenantId,
      written.map((w) => w.detectionId),
      written.map((w) => w.uploadId),
      written.map((w) => w.row.count),
      written.map((w) => iso(w.row.firstTime)),
      written.map((w) => iso(w.row.lastTime)),
      written.map((w) => w.row.ruleRevision),
    ],
  )
}

/** Records the rows' risk events (one statement, any number of uploads). */
export async function insertRiskEvents(client: pg.ClientBase, tenantId: string, written: readonly WrittenRow[]): Promise<void> {
  const cols = { u: [] as string[], d: [] as string[], r: [] as string[], v: [] as number[], o: [] as string[], t: [] as string[], s: [] as number[], m: [] as string[], th: [] as string[], mi: [] as string[], time: [] as (string | null)[] }
  for (const { uploadId, detectionId, row } of written) {
    for (const risk of row.risk) {
      cols.u.push(uploadId)
      cols.d.push(detectionId)
      cols.r.push(row.ruleId)
      cols.v.push(row.ruleRevision)
      cols.o.push(risk.object)
      cols.t.push(risk.type)
      cols.s.push(risk.score)
      cols.m.push(risk.message)
      cols.th.push(JSON.stringify(row.threatObjects))
      cols.mi.push(`{${row.mitreTechniques.map((id) => `"${id}"`).join(',')}}`)
      cols.time.push(iso(row.lastTime ?? row.firstTime))
    }
  }
  if (cols.d.length === 0) return
  await client.query(
    `INSERT INTO risk_events (tenant_id, upload_id, detection_id, rule_id, risk_object, risk_object_type, risk_score, risk_message, threat_objects, mitre_techniques, time, rule_revision)
     SELECT $1, u, d, r, o, t, s, m, th, mi::text[], COALESCE(tm, now()), v
     FROM unnest($2::uuid[], $3::uuid[], $4::uuid[], $5::text[], $6::text[], $7::int[], $8::text[], $9::jsonb[], $10::text[], $11::timestamptz[], $12::int[]) AS x(u, d, r, o, t, s, m, th, mi, tm, v)
     ON CONFLICT (detection_id, upload_id, risk_object_type, risk_object) DO UPDATE SET time = GREATEST(risk_events.time, excluded.time)`,
    [tenantId, cols.u, cols.d, cols.r, cols.o, cols.t, cols.s, cols.m, cols.th, cols.mi, cols.time, cols.v],
  )
}

/** Sets each detection's totals to the sums over its contributions; drops detections left with none. */
export async function recomputeDetections(client: pg.ClientBase, detectionIds: string[]): Promise<void> {
  if (detectionIds.length === 0) return
  // One statement: the update (detections with contributions) and the delete (those without)
  // touch different rows, and both read the contributions as they are now.
  await client.query(
    `WITH updated AS (
       UPDATE detections d SET count = s.c, first_time = s.f, last_time = s.l, updated_at = now()
       FROM (SELECT detection_id, sum(count) AS c, min(first_time) AS f, max(last_time) AS l
             FROM detection_contributions WHERE detection_id = ANY($1::uuid[]) GROUP BY detection_id) s
       WHERE d.id = s.detection_id)
     DELETE FROM detections d WHERE d.id = ANY($1::uuid[])
     AND NOT EXISTS (SELECT 1 FROM detection_contributions c WHERE c.detection_id = d.id)`,
    [detectionIds],
  )
}
