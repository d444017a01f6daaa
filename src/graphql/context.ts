import { createHash, timingSafeEqual } from 'node:crypto'
import type { Queue } from 'bullmq'
import type pg from 'pg'
import type { Config } from '../config.js'
import { setRequestScope, withSystemScope } from '../db/db-scope.js'
import type { PrismaClient } from '../db/prisma.js'
import { ForbiddenError, UnauthenticatedError } from '../errors.js'
import type { ProcessUploadJob } from '../queue/queues.js'
import type { ScanJob } from '../queue/scan-queue.js'
import type { WebhookDeliveryJob } from '../queue/webhook-queue.js'
import { authenticateApiKey, type ApiKeyRole, type Principal } from '../store/api-keys.js'

/** What every request may use: the shared services, and the caller when authenticated. */
export interface AppDeps {
  config: Config
  pool: pg.Pool
  prisma: PrismaClient
  uploadQueue: Queue<ProcessUploadJob>
  scanQueue: Queue<ScanJob>
  webhookQueue: Queue<WebhookDeliveryJob>
}

/** The operator: manages tenants, sees no tenant's data. */
export interface OperatorPrincipal {
  operator: true
}

export interface RequestContext {
  deps: AppDeps
  principal: Principal | OperatorPrincipal | null
}

/**
 * What each role may do. `ingest` keys only send logs (and see their status); keys, tenant settings and the audit log are admin business.
 * `triage`: change a detection's status and assignee, and comment on it.
 */
export type Permission = 'read' | 'write-rules' | 'upload' | 'triage' | 'manage-keys' | 'manage-settings' | 'audit'

const GRANTS: Record<ApiKeyRole, readonly Permission[]> = {
  admin: ['read', 'write-rules', 'upload', 'triage', 'manage-keys', 'manage-settings', 'audit'],
  analyst: ['read', 'write-rules', 'upload', 'triage'],
  ingest: ['upload'],
  reader: ['read'],
}

const isOperator = (p: RequestContext['principal']): p is OperatorPrincipal => p !== null && 'operator' in p

/**
 * Scopes the rest of the request's database access to its caller (db/db-scope.ts): its tenant,
 * every tenant for the operator, none for an anonymous caller.
 */
export function scopeRequestTo(principal: Principal | OperatorPrincipal | null): void {
  setRequestScope(principal === null ? null : isOperator(principal) ? { kind: 'system' } : { kind: 'tenant', tenantId: principal.tenantId })
}

/** Reads `Authorization: Bearer <key>`; a missing header gives an anonymous caller. */
export async function identifyCaller(deps: AppDeps, header: string | undefined): Promise<Principal | OperatorPrincipal | null> {
  if (!header) return null
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header)
  if (!m) throw new UnauthenticatedError('the Authorization header must be "Bearer <api key>"')
  if (deps.config.operatorToken !== null && matchesSecret(m[1]!, deps.config.operatorToken)) return { operator: true }
  // A key is found by its prefix before its tenant is known.
  return withSystemScope(() => authenticateApiKey(deps.prisma, m[1]!, new Date()))
}

/** Constant-time comparison of a presented secret with the configured one (hashes equalise lengths). */
export function matchesSecret(presented: string, expected: string): boolean {
  const digest = (s: string): Buffer => createHash('sha256').update(s).digest()
  return timingSafeEqual(digest(presented), digest(expected))
}

/** Checks that the caller is the operator (tenant management). */
export function requireOperator(ctx: RequestContext): void {
  if (!ctx.principal) throw new UnauthenticatedError('the operator credential is required: send "Authorization: Bearer <operator token>"')
  if (!isOperator(ctx.principal)) throw new ForbiddenError('only the operator credential manages tenants')
}

/** The caller's tenant, after checking that the key's role grants `permission` (any of a list). */
export function requireTenant(ctx: RequestContext, permission: Permission | Permission[]): Principal {
  if (!ctx.principal) throw new UnauthenticatedError('an API key is required: send "Authorization: Bearer <api key>"')
  if (isOperator(ctx.principal)) throw new ForbiddenError('the operator credential manages tenants only; use a tenant API key')
  const wanted = Array.isArray(permission) ? permission : [permission]
  const principal = ctx.principal
  if (!wanted.some((p) => GRANTS[principal.role].includes(p))) {
    throw new ForbiddenError(`the ${principal.role} role may not ${wanted[0]!.replace('-', ' ')}`)
  }
  return principal
}
