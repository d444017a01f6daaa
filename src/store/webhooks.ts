import type pg from 'pg'
import { withTransaction } from '../db/transaction.js'
import { ConflictError, InvalidInputError, NotFoundError } from '../errors.js'
import { isUuid } from './rules.js'

/**
 * A tenant's webhook destinations (table webhooks). The signing secret is written here sealed
 * (src/webhooks/webhook-secret.ts) and read back only by webhookForSending: every record handed to
 * the API leaves it out. Another tenant's webhook is NOT_FOUND, exactly as one that exists nowhere.
 */

/** Events a webhook may subscribe to; PING is only ever sent by testWebhook. */
export const SUBSCRIBABLE_EVENTS = ['DETECTION_CREATED', 'DETECTION_REOPENED', 'RISK_INCIDENT_CREATED'] as const
export type SubscribableEvent = (typeof SUBSCRIBABLE_EVENTS)[number]
export type WebhookEventType = SubscribableEvent | 'PING'

/** Webhooks per tenant: each event is sent once per webhook, so this bounds the fan-out. */
export const MAX_WEBHOOKS_PER_TENANT = 20
/** How long a rotated secret may keep signing: a week. */
export const MAX_PREVIOUS_SECRET_HOURS = 168

export interface WebhookRecord {
  id: string
  name: string
  url: string
  events: SubscribableEvent[]
  enabled: boolean
  secretCreatedAt: Date
  previousSecretExpiresAt: Date | null
  createdAt: Date
  updatedAt: Date
}

/** What the delivery worker needs: the record and its sealed secrets. */
export interface WebhookForSending extends WebhookRecord {
  sealedSecret: string
  /** Null once expired. */
  sealedPreviousSecret: string | null
}

export interface NewWebhook {
  name: string
  /** Already checked and normalised (src/webhooks/destination-url.ts). */
  url: string
  events: readonly string[]
  enabled: boolean
}

export interface WebhookInput {
  name?: string | null
  /** Already checked and normalised (src/webhooks/destination-url.ts). */
  url?: string | null
  events?: readonly string[] | null
  enabled?: boolean | null
}

const COLUMNS = 'id, name, url, events, enabled, secret_created_at, previous_secret_expires_at, created_at, updated_at'

interface Row {
  id: string
  name: string
  url: string
  events: SubscribableEvent[]
  enabled: boolean
  secret_created_at: Date
  previous_secret_expires_at: Date | null
  created_at: Date
  updated_at: Date
}

const record = (r: Row): WebhookRecord => ({
  id: r.id,
  name: r.name,
  url: r.url,
  events: r.events,
  enabled: r.enabled,
  secretCreatedAt: r.secret_created_at,
  previousSecretExpiresAt: r.previous_secret_expires_at,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
})

function checkName(name: string): string {
  const trimmed = name.trim()
  if (trimmed.length === 0 || trimmed.length > 100) throw new InvalidInputError('name must be 1-100 characters', { field: 'name' })
  return trimmed
}

function checkEvents(events: readonly string[]): SubscribableEvent[] {
  if (events.length === 0) throw new InvalidInputError(`events must name at least one of ${SUBSCRIBABLE_EVENTS.join(', ')}`, { field: 'events' })
  for (const e of events) {
    if (!(SUBSCRIBABLE_EVENTS as readonly string[]).includes(e)) {
      throw new InvalidInputError(e === 'PING' ? 'PING is sent by testWebhook only and cannot be subscribed to' : `unknown event ${e}; events are ${SUBSCRIBABLE_EVENTS.join(', ')}`, { field: 'events' })
    }
  }
  return [...new Set(events as SubscribableEvent[])]
}

const nameTaken = (err: unknown, name: string | null | undefined): never => {
  if ((err as { code?: string }).code === '23505') throw new ConflictError(`a webhook named "${name}" exists already`, { field: 'name' })
  throw err
}

/** The tenant's webhooks, by name. */
export async function listWebhooks(pool: pg.Pool, tenantId: string): Promise<WebhookRecord[]> {
  const { rows } = await pool.query<Row>(`SELECT ${COLUMNS} FROM webhooks WHERE tenant_id = $1 ORDER BY name, id`, [tenantId])
  return rows.map(record)
}

/** One of the tenant's webhooks, or NOT_FOUND. */
export async function webhookById(db: Pick<pg.ClientBase, 'query'>, tenantId: string, id: string): Promise<WebhookRecord> {
  const { rows } = isUuid(id) ? await db.query<Row>(`SELECT ${COLUMNS} FROM webhooks WHERE id = $1 AND tenant_id = $2`, [id, tenantId]) : { rows: [] }
  if (!rows[0]) throw new NotFoundError('Webhook', id)
  return record(rows[0])
}

/** Creates a webhook with its sealed secret; the name must be free, the tenant under its limit. */
export async function insertWebhook(pool: pg.Pool, tenantId: string, input: NewWebhook, sealedSecret: string): Promise<WebhookRecord> {
  const name = checkName(input.name)
  const events = checkEvents(input.events)
  return withTransaction(pool, async (client) => {
    // Serialises creations of one tenant, so the limit below holds.
    await client.query(`SELECT pg_advisory_xact_lock(hashtext('webhooks:' || $1))`, [tenantId])
    const { rows: count } = await client.query<{ n: string }>('SELECT count(*) AS n FROM webhooks WHERE tenant_id = $1', [tenantId])
    if (Number(count[0]!.n) >= MAX_WEBHOOKS_PER_TENANT) throw new InvalidInputError(`a tenant has at most ${MAX_WEBHOOKS_PER_TENANT} webhooks; delete one first`)
    const { rows } = await client
      .query<Row>(`INSERT INTO webhooks (tenant_id, name, url, events, enabled, secret) VALUES ($1, $2, $3, $4::text[], $5, $6) RETURNING ${COLUMNS}`, [
        tenantId,
        name,
        input.url,
        events,
        input.enabled,
        sealedSecret,
      ])
      .catch((err: unknown) => nameTaken(err, name))
    return record(rows[0]!)
  })
}

/** Changes what is given; absent or null fields stay. */
export async function updateWebhook(pool: pg.Pool, tenantId: string, id: string, input: WebhookInput): Promise<WebhookRecord> {
  const name = input.name == null ? null : checkName(input.name)
  const events = input.events == null ? null : checkEvents(input.events)
  await webhookById(pool, tenantId, id)
  const { rows } = await pool
    .query<Row>(
      `UPDATE webhooks SET name = coalesce($3, name), url = coalesce($4, url), events = coalesce($5::text[], events),
         enabled = coalesce($6, enabled), updated_at = now()
       WHERE id = $1 AND tenant_id = $2 RETURNING ${COLUMNS}`,
      [id, tenantId, name, input.url ?? null, events, input.enabled ?? null],
    )
    .catch((err: unknown) => nameTaken(err, name))
  if (!rows[0]) throw new NotFoundError('Webhook', id)
  return record(rows[0])
}

/** Deletes a webhook and its delivery history; returns its id. */
export async function deleteWebhook(pool: pg.Pool, tenantId: string, id: string): Promise<string> {
  const { rowCount } = isUuid(id) ? await pool.query('DELETE FROM webhooks WHERE id = $1 AND tenant_id = $2', [id, tenantId]) : { rowCount: 0 }
  if (!rowCount) throw new NotFoundError('Webhook', id)
  return id
}

/**
 * Replaces the secret. With `previousValidHours` > 0 the old one keeps signing beside the new one
 * until then (receivers switch without missing a delivery); 0 retires it at once.
 */
export async function replaceWebhookSecret(pool: pg.Pool, tenantId: string, id: string, sealedSecret: string, previousValidHours: number): Promise<WebhookRecord> {
  if (!Number.isInteger(previousValidHours) || previousValidHours < 0 || previousValidHours > MAX_PREVIOUS_SECRET_HOURS) {
    throw new InvalidInputError(`previousSecretValidHours must be an integer from 0 to ${MAX_PREVIOUS_SECRET_HOURS}`, { field: 'previousSecretValidHours' })
  }
  const { rows } = isUuid(id)
    ? await pool.query<Row>(
        `UPDATE webhooks SET
           previous_secret = CASE WHEN $4 > 0 THEN secret END,
           previous_secret_expires_at = CASE WHEN $4 > 0 THEN now() + make_interval(hours => $4) END,
           secret = $3, secret_created_at = now(), updated_at = now()
         WHERE id = $1 AND tenant_id = $2 RETURNING ${COLUMNS}`,
        [id, tenantId, sealedSecret, previousValidHours],
      )
    : { rows: [] }
  if (!rows[0]) throw new NotFoundError('Webhook', id)
  return record(rows[0])
}

/** A webhook with its sealed secrets (the previous one only while it is valid), or null. */
export async function webhookForSending(db: Pick<pg.ClientBase, 'query'>, tenantId: string, id: string): Promise<WebhookForSending | null> {
  const { rows } = await db.query<Row & { secret: string; previous_secret: string | null }>(
    `SELECT ${COLUMNS}, secret, CASE WHEN previous_secret_expires_at > now() THEN previous_secret END AS previous_secret
     FROM webhooks WHERE id = $1 AND tenant_id = $2`,
    [id, tenantId],
  )
  const r = rows[0]
  return r ? { ...record(r), sealedSecret: r.secret, sealedPreviousSecret: r.previous_secret } : null
}
