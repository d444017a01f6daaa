import type pg from 'pg'
import { InvalidInputError, NotFoundError } from '../errors.js'

/**
 * Limits the operator sets per tenant, overriding the deployment's defaults (config): today the
 * largest upload, `tenants.max_upload_bytes` (null: MAX_UPLOAD_BYTES applies).
 */

export interface TenantLimits {
  /** Null: the deployment's MAX_UPLOAD_BYTES. */
  maxUploadBytes: number | null
}

/** The tenant's largest accepted upload in bytes, or `fallback` when it has no limit of its own. */
export async function tenantUploadLimit(db: pg.Pool | pg.ClientBase, tenantId: string, fallback: number): Promise<number> {
  const { rows } = await db.query<{ max_upload_bytes: string | null }>('SELECT max_upload_bytes FROM tenants WHERE id = $1', [tenantId])
  const own = rows[0]?.max_upload_bytes
  return own == null ? fallback : Number(own)
}

export async function tenantLimits(db: pg.Pool | pg.ClientBase, tenantId: string): Promise<TenantLimits> {
  const { rows } = await db.query<{ max_upload_bytes: string | null }>('SELECT max_upload_bytes FROM tenants WHERE id = $1', [tenantId])
  if (!rows[0]) throw new NotFoundError('Tenant', tenantId)
  return { maxUploadBytes: rows[0].max_upload_bytes === null ? null : Number(rows[0].max_upload_bytes) }
}

/** Sets (a positive byte count) or clears (null) the tenant's own upload limit. */
export async function setTenantUploadLimit(db: pg.Pool | pg.ClientBase, tenantId: string, maxUploadBytes: number | null): Promise<TenantLimits> {
  if (maxUploadBytes !== null && (!Number.isSafeInteger(maxUploadBytes) || maxUploadBytes <= 0)) {
    throw new InvalidInputError('the upload limit must be a positive whole number of bytes', { field: 'maxUploadBytes' })
  }
  const { rowCount } = await db.query('UPDATE tenants SET max_upload_bytes = $2 WHERE id = $1', [tenantId, maxUploadBytes])
  if (!rowCount) throw new NotFoundError('Tenant', tenantId)
  return { maxUploadBytes }
}
