import type pg from 'pg'
import { ConflictError, NotFoundError } from '../errors.js'
import { decodeTimeCursor, encodeCursor } from './cursor.js'
import { isUuid } from './rules.js'
import { webhookById, type WebhookEventType } from './webhooks.js'

/**
 * Webhook deliveries (table webhook_deliveries): one event sent to one webhook, from the outbox row
 * written with the detection or incident (webhook-outbox.ts) to its last attempt. The table is the
 * delivery history tenants read, and the truth the delivery worker and the reconciler go by.
 */

export type DeliveryStatus = 'PENDING' | 'DELIVERED' | 'FAILED'

export interface DeliveryRecord {
  id: string
  webhookId: string
  eventId: string
  eventType: WebhookEventType
  status: DeliveryStatus
  attempts: number
  lastAttemptAt: Date | null
  lastStatusCode: number | null
  lastError: string | null
  lastDurationMs: number | null
  nextAttemptAt: Date | null
  deliveredAt: Date | null
  redeliveryOf: string | null
  createdAt: Date
  /** The JSON body as stored (Postgres's spacing; sent compact, same keys in the same order). */
  body: string
}

type Queryable = Pick<pg.ClientBase, 'query'>

const COLUMNS = `id, webhook_id, event_id, event_type, status, attempts, last_attempt_at, last_status_code, last_error, last_duration_ms,
  next_attempt_at, delivered_at, redelivery_of, created_at, payload::text AS body`

interface Row {
  id: string
  webhook_id: string
  event_id: string
  event_type: WebhookEventType
  status: DeliveryStatus
  attempts: number
  last_attempt_at: Date | null
  last_status_code: number | null
  last_error: string | null
  last_duration_ms: number | null
  next_attempt_at: Date | null
  delivered_at: Date | null
  redelivery_of: string | null
  created_at: Date
  body: string
}

const record = (r: Row): DeliveryRecord => ({
  id: r.id,
  webhookId: r.webhook_id,
  eventId: r.event_id,
  eventType: r.event_type,
  status: r.status,
  attempts: r.attempts,
  lastAttemptAt: r.last_attempt_at,
  lastStatusCode: r.last_status_code,
  lastError: r.last_error,
  lastDurationMs: r.last_duration_ms,
  nextAttemptAt: r.next_attempt_at,
  deliveredAt: r.delivered_at,
  redeliveryOf: r.redelivery_of,
  createdAt: r.created_at,
  body: r.body,
})

/** One of the tenant's deliveries, or null. */
export async function findDelivery(db: Queryable, tenantId: string, id: string): Promise<DeliveryRecord | null> {
  if (!isUuid(id)) return null
  const { rows } = await db.query<Row>(`SELECT ${COLUMNS} FROM webhook_deliveries WHERE id = $1 AND tenant_id = $2`, [id, tenantId])
  return rows[0] ? record(rows[0]) : null
}

export interface DeliveryQuery {
  tenantId: string
  webhookId: string
  status?: DeliveryStatus | null
  first: number
  after?: string | null
}

/** A webhook's deliveries, newest first (keyset on created_at, id); NOT_FOUND for a webhook the tenant does not have. */
export async function queryWebhookDeliveries(pool: pg.Pool, q: DeliveryQuery): Promise<{ records: { cursor: string; record: DeliveryRecord }[]; hasNextPage: boolean; totalCount: number }> {
  await webhookById(pool, q.tenantId, q.webhookId)
  const params: unknown[] = [q.tenantId, q.webhookId]
  const parts = ['tenant_id = $1', 'webhook_id = $2']
  if (q.status != null) {
    params.push(q.status)
    parts.push(`status = $${params.length}::"WebhookDeliveryStatus"`)
  }
  const total = await pool.query<{ n: string }>(`SELECT count(*) AS n FROM webhook_deliveries WHERE ${parts.join(' AND ')}`, params)
  if (q.after) {
    const c = decodeTimeCursor(q.after)
    params.push(c.time, c.id)
    parts.push(`(created_at, id) < ($${params.length - 1}, $${params.length}::uuid)`)
  }
  params.push(q.first + 1)
  const { rows } = await pool.query<Row>(`SELECT ${COLUMNS} FROM webhook_deliveries WHERE ${parts.join(' AND ')} ORDER BY created_at DESC, id DESC LIMIT $${params.length}`, params)
  const page = rows.slice(0, q.first).map(record)
  return {
    records: page.map((r) => ({ cursor: encodeCursor(String(r.createdAt.getTime()), r.id), record: r })),
    hasNextPage: rows.length > q.first,
    totalCount: Number(total.rows[0]!.n),
  }
}

/**
 * A PING to the webhook (testWebhook), as a delivery of its own, marked enqueued: the caller sends
 * it at once, and the relay must not send it a second time.
 */
export async function insertPing(db: Queryable, tenantId: string, webhookId: string): Promise<DeliveryRecord> {
  const { rows } = await db.query<Row>(
    `WITH ping AS (SELECT gen_random_uuid() AS event_id, clock_timestamp() AS at)
     INSERT INTO webhook_deliveries (tenant_id, webhook_id, event_id, event_type, payload, enqueued_at, created_at)
     SELECT w.tenant_id, w.id, p.event_id, 'PING',
            json_build_object('id', p.event_id, 'type', 'PING', 'createdAt', to_char(p.at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
                              'tenant', json_build_object('id', t.id, 'name', t.name),
                              'data', json_build_object('webhook', json_build_object('id', w.id, 'name', w.name, 'events', to_json(w.events)))),
            p.at, p.at
     FROM webhooks w JOIN tenants t ON t.id = w.tenant_id CROSS JOIN ping p
     WHERE w.id = $1 AND w.tenant_id = $2
     RETURNING ${COLUMNS}`,
    [webhookId, tenantId],
  )
  if (!rows[0]) throw new NotFoundError('Webhook', webhookId)
  return record(rows[0])
}

/**
 * A new delivery of the same event and body to the same webhook (signed afresh when sent), for a
 * delivery that has ended; the event id stays, so a receiver that processed the first can tell.
 */
export async function insertRedelivery(db: Queryable, tenantId: string, deliveryId: string): Promise<DeliveryRecord> {
  const original = await findDelivery(db, tenantId, deliveryId)
  if (!original) throw new NotFoundError('WebhookDelivery', deliveryId)
  if (original.status === 'PENDING') throw new ConflictError(`delivery ${deliveryId} is still pending (attempt ${original.attempts} made); wait for it to end`, { field: 'id' })
  const webhook = await webhookById(db, tenantId, original.webhookId)
  if (!webhook.enabled) throw new ConflictError(`webhook "${webhook.name}" is disabled; enable it before redelivering`, { field: 'id' })
  const { rows } = await db.query<Row>(
    `INSERT INTO webhook_deliveries (tenant_id, webhook_id, event_id, event_type, payload, redelivery_of, created_at)
     SELECT tenant_id, webhook_id, event_id, event_type, payload, id, clock_timestamp() FROM webhook_deliveries WHERE id = $1 AND tenant_id = $2
     RETURNING ${COLUMNS}`,
    [deliveryId, tenantId],
  )
  return record(rows[0]!)
}

/** What one attempt gave, as recorded. */
export interface AttemptRecord {
  status: DeliveryStatus
  at: Date
  statusCode: number | null
  error: string | null
  durationMs: number
  /** When PENDING: the next attempt. */
  nextAttemptAt: Date | null
}

/** Records an attempt on a PENDING delivery; false when it was no longer pending (another run ended it). */
export async function recordAttempt(db: Queryable, tenantId: string, id: string, a: AttemptRecord): Promise<boolean> {
  const { rowCount } = await db.query(
    `UPDATE webhook_deliveries SET attempts = attempts + 1, status = $3::"WebhookDeliveryStatus", last_attempt_at = $4, last_status_code = $5,
       last_error = $6, last_duration_ms = $7, next_attempt_at = $8, delivered_at = CASE WHEN $3 = 'DELIVERED' THEN clock_timestamp() END
     WHERE id = $1 AND tenant_id = $2 AND status = 'PENDING'`,
    [id, tenantId, a.status, a.at, a.statusCode, a.error, a.durationMs, a.nextAttemptAt],
  )
  return rowCount === 1
}

/** Ends a PENDING delivery as FAILED without an attempt (its webhook was disabled, its job failed for good). */
export async function failDelivery(db: Queryable, tenantId: string, id: string, reason: string): Promise<void> {
  await db.query(
    `UPDATE webhook_deliveries SET status = 'FAILED', last_error = left($3, 1000), next_attempt_at = NULL WHERE id = $1 AND tenant_id = $2 AND status = 'PENDING'`,
    [id, tenantId, reason],
  )
}

/** A delivery as its job knows it. */
export interface DeliveryJobRef {
  deliveryId: string
  tenantId: string
}

/** Deliveries of every tenant the outbox relay has not enqueued yet, oldest first (system scope). */
export async function notEnqueuedDeliveries(db: Queryable, limit: number): Promise<DeliveryJobRef[]> {
  const { rows } = await db.query<{ id: string; tenant_id: string }>(
    'SELECT id, tenant_id FROM webhook_deliveries WHERE enqueued_at IS NULL ORDER BY created_at, id LIMIT $1',
    [limit],
  )
  return rows.map((r) => ({ deliveryId: r.id, tenantId: r.tenant_id }))
}

/** Notes that the deliveries' jobs were added (system scope). */
export async function markDeliveriesEnqueued(db: Queryable, ids: readonly string[]): Promise<void> {
  await db.query('UPDATE webhook_deliveries SET enqueued_at = clock_timestamp() WHERE id = ANY ($1::uuid[]) AND enqueued_at IS NULL', [ids])
}

/** Every PENDING delivery of every tenant, oldest first (system scope). */
export async function pendingDeliveries(db: Queryable): Promise<DeliveryJobRef[]> {
  const { rows } = await db.query<{ id: string; tenant_id: string }>(`SELECT id, tenant_id FROM webhook_deliveries WHERE status = 'PENDING' ORDER BY created_at, id`)
  return rows.map((r) => ({ deliveryId: r.id, tenantId: r.tenant_id }))
}
