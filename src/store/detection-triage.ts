import type pg from 'pg'
import { withTransaction } from '../db/transaction.js'
import { InvalidInputError, NotFoundError } from '../errors.js'
import { DETECTION_COLUMNS, detectionRecord, type DetectionRecord, type DetectionRow, type DetectionStatus } from './detections-query.js'
import { isUuid } from './rules.js'

/**
 * Detections as a lifecycle: triage status, assignee and comments. Every function takes the
 * caller's tenant and answers NOT_FOUND for a detection of another tenant exactly as for one that
 * exists nowhere. What the detection writer does to a closed detection that fires again is in
 * detection-writer.ts (reopenClosedTruePositives).
 */

export const DETECTION_STATUSES: readonly DetectionStatus[] = ['NEW', 'ACKNOWLEDGED', 'CLOSED_TRUE_POSITIVE', 'CLOSED_FALSE_POSITIVE']
export const MAX_COMMENT_CHARS = 10_000
export const MAX_ASSIGNEE_CHARS = 200
/** The author of the comments Watchpost writes itself. */
export const SYSTEM_AUTHOR = 'watchpost'

/** Who writes: the calling key (its name is looked up and kept with the comment). */
export interface TriageActor {
  tenantId: string
  keyId: string
}

export interface DetectionCommentRecord {
  id: string
  author: string
  authorKeyId: string | null
  body: string
  createdAt: Date
}

interface CommentRow {
  id: string
  author: string
  author_key_id: string | null
  body: string
  created_at: Date
}

const commentRecord = (r: CommentRow): DetectionCommentRecord => ({ id: r.id, author: r.author, authorKeyId: r.author_key_id, body: r.body, createdAt: r.created_at })

/** Characters as Postgres counts them (code points), not UTF-16 units. */
const chars = (s: string): number => [...s].length

/** A comment body: some visible text, at most 10,000 characters; kept as written. */
export function validCommentBody(body: string, field: string): string {
  if (body.trim() === '') throw new InvalidInputError(`${field} must not be empty`, { field })
  const n = chars(body)
  if (n > MAX_COMMENT_CHARS) throw new InvalidInputError(`${field} must be at most ${MAX_COMMENT_CHARS} characters (got ${n})`, { field, max: MAX_COMMENT_CHARS })
  return body
}

/** An assignee: trimmed, 1 to 200 characters, no control characters; null unassigns. */
export function validAssignee(assignee: string | null): string | null {
  if (assignee === null) return null
  const trimmed = assignee.trim()
  if (trimmed === '') throw new InvalidInputError('assignee must not be empty; send null to unassign', { field: 'assignee' })
  if (chars(trimmed) > MAX_ASSIGNEE_CHARS) throw new InvalidInputError(`assignee must be at most ${MAX_ASSIGNEE_CHARS} characters`, { field: 'assignee', max: MAX_ASSIGNEE_CHARS })
  if (/[\u0000-\u001f\u007f]/.test(trimmed)) throw new InvalidInputError('assignee must not contain control characters (line breaks, tabs…)', { field: 'assignee' })
  return trimmed
}

export function validStatus(status: string): DetectionStatus {
  if (!(DETECTION_STATUSES as readonly string[]).includes(status)) {
    throw new InvalidInputError(`status must be one of ${DETECTION_STATUSES.join(', ')}`, { field: 'status' })
  }
  return status as DetectionStatus
}

/** Locks the tenant's detection for the rest of the transaction, or answers NOT_FOUND. */
async function lockDetection(client: pg.ClientBase, tenantId: string, id: string): Promise<DetectionRow> {
  const { rows } = isUuid(id)
    ? await client.query<DetectionRow>(`SELECT ${DETECTION_COLUMNS} FROM detections WHERE id = $1 AND tenant_id = $2 FOR UPDATE`, [id, tenantId])
    : { rows: [] }
  if (!rows[0]) throw new NotFoundError('Detection', id)
  return rows[0]
}

async function insertComment(client: pg.ClientBase, actor: TriageActor, detectionId: string, body: string): Promise<DetectionCommentRecord> {
  const { rows } = await client.query<CommentRow>(
    // clock_timestamp(), not the transaction's start: comments are ordered by the time they were written.
    `INSERT INTO detection_comments (tenant_id, detection_id, author, author_key_id, body, created_at)
     SELECT $1, $2, COALESCE((SELECT name FROM api_keys WHERE id = $3 AND tenant_id = $1), $3::text), $3, $4, clock_timestamp()
     RETURNING id, author, author_key_id, body, created_at`,
    [actor.tenantId, detectionId, actor.keyId, body],
  )
  return commentRecord(rows[0]!)
}

/**
 * Sets a detection's status. status_changed_at moves only when the status does; `comment`, when
 * given, is added to the detection's comments in the same transaction.
 */
export async function setDetectionStatus(pool: pg.Pool, actor: TriageActor, id: string, status: string, comment?: string | null): Promise<DetectionRecord> {
  const next = validStatus(status)
  const body = comment == null ? null : validCommentBody(comment, 'comment')
  return withTransaction(pool, async (client) => {
    const current = await lockDetection(client, actor.tenantId, id)
    let row = current
    if (current.status !== next) {
      const { rows } = await client.query<DetectionRow>(
        `UPDATE detections SET status = $3, status_changed_at = now() WHERE id = $1 AND tenant_id = $2 RETURNING ${DETECTION_COLUMNS}`,
        [current.id, actor.tenantId, next],
      )
      row = rows[0]!
    }
    if (body !== null) await insertComment(client, actor, current.id, body)
    return detectionRecord(row)
  })
}

/** Assigns a detection to an analyst (free text), or unassigns it with null. */
export async function assignDetection(pool: pg.Pool, tenantId: string, id: string, assignee: string | null): Promise<DetectionRecord> {
  const value = validAssignee(assignee)
  return withTransaction(pool, async (client) => {
    const current = await lockDetection(client, tenantId, id)
    const { rows } = await client.query<DetectionRow>(
      `UPDATE detections SET assignee = $3 WHERE id = $1 AND tenant_id = $2 RETURNING ${DETECTION_COLUMNS}`,
      [current.id, tenantId, value],
    )
    return detectionRecord(rows[0]!)
  })
}

export async function addDetectionComment(pool: pg.Pool, actor: TriageActor, id: string, body: string): Promise<DetectionCommentRecord> {
  const text = validCommentBody(body, 'body')
  return withTransaction(pool, async (client) => {
    const current = await lockDetection(client, actor.tenantId, id)
    return insertComment(client, actor, current.id, text)
  })
}

/** A detection's comments, oldest first. */
export async function commentsOfDetection(pool: pg.Pool, tenantId: string, detectionId: string): Promise<DetectionCommentRecord[]> {
  const { rows } = await pool.query<CommentRow>(
    `SELECT id, author, author_key_id, body, created_at FROM detection_comments
     WHERE tenant_id = $1 AND detection_id = $2 ORDER BY created_at, id`,
    [tenantId, detectionId],
  )
  return rows.map(commentRecord)
}
