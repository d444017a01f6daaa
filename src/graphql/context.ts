import type { Queue } from 'bullmq'
import type pg from 'pg'
import type { Config } from '../config.js'
import type { PrismaClient } from '../db/prisma.js'
import { ForbiddenError, UnauthenticatedError } from '../errors.js'
import type { ProcessUploadJob } from '../queue/queues.js'
import { authenticateApiKey, type ApiKeyRole, type Principal } from '../store/api-keys.js'

/** What every request may use: the shared services, and the caller when authenticated. */
export interface AppDeps {
  config: Config
  pool: pg.Pool
  prisma: PrismaClient
  uploadQueue: Queue<ProcessUploadJob>
}

export interface RequestContext {
  deps: AppDeps
  principal: Principal | null
}

/** What each role may do. `ingest` keys only send logs (and see their status). */
export type Permission = 'read' | 'write-rules' | 'upload'

const GRANTS: Record<ApiKeyRole, readonly Permission[]> = {
  admin: ['read', 'write-rules', 'upload'],
  analyst: ['read', 'write-rules', 'upload'],
  ingest: ['upload'],
  reader: ['read'],
}

/** Reads `Authorization: Bearer <key>`; a missing header gives an anonymous context. */
export async function principalFromHeader(deps: AppDeps, header: string | undefined): Promise<Principal | null> {
  if (!header) return null
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header)
  if (!m) throw new UnauthenticatedError('the Authorization header must be "Bearer <api key>"')
  return authenticateApiKey(deps.prisma, m[1]!, new Date())
}

/** The caller's tenant, after checking that the key's role grants `permission` (any of a list). */
export function requireTenant(ctx: RequestContext, permission: Permission | Permission[]): Principal {
  if (!ctx.principal) throw new UnauthenticatedError('an API key is required: send "Authorization: Bearer <api key>"')
  const wanted = Array.isArray(permission) ? permission : [permission]
  if (!wanted.some((p) => GRANTS[ctx.principal!.role].includes(p))) {
    throw new ForbiddenError(`the ${ctx.principal.role} role may not ${wanted[0]!.replace('-', ' ')}`)
  }
  return ctx.principal
}
