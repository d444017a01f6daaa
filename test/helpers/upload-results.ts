import { createHash } from 'node:crypto'
import type pg from 'pg'
import { readFixture } from './fixtures.js'

/**
 * What an upload left in Postgres, in a canonical text form that two runs of the same bytes can be
 * compared by, byte for byte: the upload's outcome, its events, the detections it contributed to
 * and its risk events. Left out: what differs between runs by construction — generated ids, the
 * tenant and upload ids (an upload-local event key names its upload: replaced by `<upload>`),
 * times of processing (created, started, finished, updated), the run counter and the progress
 * figures of the last run, the file name the client gave, and rules by their row id (named by
 * their ESCU id instead).
 */
export interface UploadResults {
  upload: string
  events: string[]
  detections: string[]
  riskEvents: string[]
}

/** Reads as a superuser pool does (no row-level security scope needed). */
export async function uploadResults(pool: pg.Pool, uploadId: string): Promise<UploadResults> {
  const rows = async (sql: string): Promise<string[]> =>
    (await pool.query<{ row: string }>(sql, [uploadId])).rows.map((r) => r.row.replaceAll(uploadId, '<upload>')).sort()
  const [upload] = await rows(
    `SELECT (to_jsonb(u) - ARRAY['id', 'tenant_id', 'file_name', 'attempts', 'created_at', 'started_at', 'finished_at', 'bytes_processed', 'events_processed', 'progress_at'])::text AS row
       FROM uploads u WHERE id = $1`,
  )
  return {
    upload: upload ?? '',
    events: await rows(`SELECT (to_jsonb(e) - ARRAY['id', 'tenant_id', 'upload_id'])::text AS row FROM process_events e WHERE upload_id = $1`),
    detections: await rows(
      `SELECT (to_jsonb(d) - ARRAY['id', 'tenant_id', 'rule_id', 'created_at', 'updated_at', 'status_changed_at']
                || jsonb_build_object('rule', r.escu_id, 'fieldsInOrder', d.fields::text,
                                      'contribution', to_jsonb(c) - ARRAY['detection_id', 'upload_id', 'tenant_id']))::text AS row
       FROM detection_contributions c JOIN detections d ON d.id = c.detection_id JOIN rules r ON r.id = d.rule_id
       WHERE c.upload_id = $1`,
    ),
    riskEvents: await rows(
      `SELECT (to_jsonb(e) - ARRAY['id', 'tenant_id', 'detection_id', 'upload_id', 'rule_id', 'created_at']
                || jsonb_build_object('rule', r.escu_id, 'groupKey', d.group_key))::text AS row
       FROM risk_events e JOIN detections d ON d.id = e.detection_id JOIN rules r ON r.id = e.rule_id
       WHERE e.upload_id = $1`,
    ),
  }
}

/** Counts and SHA-256 of each part: equal digests mean equal bytes; the counts make a failure readable. */
export function digestOf(results: UploadResults): Record<keyof UploadResults, string> {
  const digest = (lines: string[]): string => `${lines.length} rows, sha256 ${createHash('sha256').update(lines.join('\n')).digest('hex')}`
  return { upload: digest([results.upload]), events: digest(results.events), detections: digest(results.detections), riskEvents: digest(results.riskEvents) }
}

const SYSMON = readFixture('logs/sysmon/ngrok-synthetic.xml').toString('utf8')

/**
 * A large Sysmon upload: `copies` copies of the ngrok fixture (76 KB, 39 events, one malformed),
 * each with EventRecordIDs of its own, so that every event is distinct and stored (events are
 * stored once per tenant by their Computer|Channel|EventRecordID).
 */
export function largeSysmonUpload(copies: number): Buffer {
  const parts: string[] = []
  for (let copy = 0; copy < copies; copy++) {
    parts.push(SYSMON.replace(/<EventRecordID>(\d+)<\/EventRecordID>/g, (_m, id: string) => `<EventRecordID>${copy * 1_000_000 + Number(id)}</EventRecordID>`), '\n')
  }
  return Buffer.from(parts.join(''))
}
