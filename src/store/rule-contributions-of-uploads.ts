import type pg from 'pg'
import type { RuleAlerting } from './detection-alerting.js'
import {
  insertContributions,
  insertRiskEvents,
  recomputeDetections,
  replaceRuleContributions,
  type DetectionContributionInput,
  type WriteResult,
  type WrittenRow,
} from './detection-writer.js'
import { recordDetectionsCreated } from './webhook-outbox.js'

/**
 * Replaces what one rule contributed to each of several uploads (a batch of a scan, in the
 * caller's transaction, under the uploads' locks): the same rows as replaceRuleContributions
 * called for each upload in turn, in a handful of statements for the whole batch instead of
 * about eight per upload.
 *
 * Written set-based only where the result cannot differ from upload by upload; otherwise upload
 * by upload, exactly as before:
 * - a rule with a cap on new detections per run or with suppression (both defined per write);
 * - a detection of the batch closed as a true positive (whether and with how many events it
 *   reopens depends on which upload adds events first);
 * - a detection that an earlier upload of the batch would leave without contributions (dropped)
 *   before a later one writes it again (created anew, with a new id);
 * - a webhook listening to new detections while a new detection gets rows from several uploads
 *   (its event carries the count and risk objects of the first upload alone).
 */

/** One upload's grouped rows of the rule. */
export interface UploadRows {
  uploadId: string
  rows: DetectionContributionInput[]
}

export async function replaceRuleContributionsOfUploads(
  client: pg.ClientBase,
  tenantId: string,
  ruleId: string,
  uploads: readonly UploadRows[],
  options: { by: string; alerting: RuleAlerting },
): Promise<WriteResult & { setBased: boolean }> {
  const setBased = await replaceSetBased(client, tenantId, ruleId, uploads, options.alerting)
  if (setBased !== null) return { ...setBased, setBased: true }
  const total: WriteResult = { rows: 0, overflow: {}, suppressed: 0, created: [] }
  for (const u of uploads) {
    const written = await replaceRuleContributions(client, tenantId, u.uploadId, ruleId, u.rows, { ...options, alerting: () => options.alerting })
    total.rows += written.rows
    for (const [rule, n] of Object.entries(written.overflow)) total.overflow[rule] = (total.overflow[rule] ?? 0) + n
    total.suppressed += written.suppressed
    total.created.push(...written.created)
  }
  return { ...total, setBased: false }
}

/** A detection of the batch's groups that exists already, locked. */
interface ExistingDetection {
  id: string
  groupKey: string
  status: string
  /** The uploads of the batch it has contributions from (before the batch replaces them). */
  batchUploads: string[]
  /** Whether it has contributions from uploads outside the batch. */
  elsewhere: boolean
}

/** The set-based write, or null (nothing written) where it would differ from writing upload by upload. */
async function replaceSetBased(client: pg.ClientBase, tenantId: string, ruleId: string, uploads: readonly UploadRows[], alerting: RuleAlerting): Promise<WriteResult | null> {
  if (alerting.maxDetectionsPerRun !== null || alerting.suppressBy.length > 0) return null
  if (uploads.some((u) => u.rows.some((r) => r.ruleId !== ruleId))) return null
  const uploadIds = uploads.map((u) => u.uploadId)
  // Per group: its first row (which creates the detection, with its fields), the batch positions
  // of the uploads that write it, and its greatest revision (the detection's revision ends as
  // the greatest of its rows' and its own, as after one upsert per upload).
  const firstRow = new Map<string, DetectionContributionInput>()
  const writers = new Map<string, number[]>()
  const revision = new Map<string, number>()
  uploads.forEach((u, i) => {
    for (const row of u.rows) {
      if (!firstRow.has(row.groupKey)) firstRow.set(row.groupKey, row)
      writers.set(row.groupKey, [...(writers.get(row.groupKey) ?? []), i])
      revision.set(row.groupKey, Math.max(revision.get(row.groupKey) ?? row.ruleRevision, row.ruleRevision))
    }
  })
  const keys = [...firstRow.keys()]
  const existing = new Map<string, ExistingDetection>()
  let announced = false
  if (keys.length > 0) {
    // Locked in id order, as writeContributions locks them, before anything is written.
    const { rows } = await client.query<{ announced: boolean; existing: ExistingDetection[] }>(
      `WITH locked AS (
         SELECT d.id, d.group_key, d.status FROM detections d
         WHERE d.tenant_id = $1 AND d.rule_id = $2 AND d.group_key = ANY($3::text[])
         ORDER BY d.id FOR UPDATE)
       SELECT EXISTS (SELECT 1 FROM webhooks w WHERE w.tenant_id = $1 AND w.enabled AND 'DETECTION_CREATED' = ANY (w.events)) AS announced,
              coalesce((SELECT json_agg(json_build_object(
                'id', l.id, 'groupKey', l.group_key, 'status', l.status,
                'batchUploads', ARRAY(SELECT c.upload_id FROM detection_contributions c WHERE c.detection_id = l.id AND c.upload_id = ANY($4::uuid[])),
                'elsewhere', EXISTS (SELECT 1 FROM detection_contributions c WHERE c.detection_id = l.id AND c.upload_id <> ALL ($4::uuid[]))))
                FROM locked l), '[]'::json) AS existing`,
      [tenantId, ruleId, keys, uploadIds],
    )
    for (const d of rows[0]!.existing) existing.set(d.groupKey, d)
    const position = new Map(uploadIds.map((id, i) => [id, i]))
    for (const d of existing.values()) {
      if (d.status === 'CLOSED_TRUE_POSITIVE') return null
      // Dropped by the last upload that had contributed to it, before the first that writes it again.
      const lastBefore = Math.max(...d.batchUploads.map((u) => position.get(u)!))
      if (!d.elsewhere && d.batchUploads.length > 0 && lastBefore < writers.get(d.groupKey)![0]!) return null
    }
    announced = rows[0]!.announced
    if (announced && keys.some((k) => !existing.has(k) && new Set(writers.get(k)).size > 1)) return null
  }

  // One statement: the risk events go in a data-modifying WITH, which runs whether read or not.
  const { rows: cleared } = await client.query<{ detection_id: string }>(
    `WITH risk AS (DELETE FROM risk_events WHERE upload_id = ANY($1::uuid[]) AND rule_id = $2)
     DELETE FROM detection_contributions c USING detections d
     WHERE c.detection_id = d.id AND c.upload_id = ANY($1::uuid[]) AND d.rule_id = $2 RETURNING c.detection_id`,
    [uploadIds, ruleId],
  )
  if (keys.length === 0) {
    await recomputeDetections(client, [...new Set(cleared.map((r) => r.detection_id))])
    return { rows: 0, overflow: {}, suppressed: 0, created: [] }
  }
  const { rows: ids } = await client.query<{ id: string; group_key: string }>(
    `INSERT INTO detections (tenant_id, rule_id, group_key, fields, rule_revision)
     SELECT $1, $2, k, f, v FROM unnest($3::text[], $4::json[], $5::int[]) AS t(k, f, v)
     ON CONFLICT (tenant_id, rule_id, group_key) DO UPDATE SET rule_revision = GREATEST(detections.rule_revision, excluded.rule_revision)
     RETURNING id, group_key`,
    [tenantId, ruleId, keys, keys.map((k) => JSON.stringify(firstRow.get(k)!.fields)), keys.map((k) => revision.get(k)!)],
  )
  const idOf = new Map(ids.map((r) => [r.group_key, r.id]))
  const written: WrittenRow[] = uploads.flatMap((u) => u.rows.map((row) => ({ uploadId: u.uploadId, detectionId: idOf.get(row.groupKey)!, row })))
  await insertContributions(client, tenantId, written)
  await insertRiskEvents(client, tenantId, written)
  await recomputeDetections(client, [...new Set([...idOf.values(), ...cleared.map((r) => r.detection_id)])])
  // New: the groups no detection had before the batch, in the order the uploads would create them.
  const created = keys.filter((k) => !existing.has(k)).map((k) => idOf.get(k)!)
  // Without a webhook listening (checked above, in this transaction) there is nothing to record.
  if (announced) await recordDetectionsCreated(client, tenantId, created)
  return { rows: written.length, overflow: {}, suppressed: 0, created }
}
