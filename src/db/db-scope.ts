import { AsyncLocalStorage } from 'node:async_hooks'

/**
 * Whose rows the current code may touch, enforced by Postgres row-level security (see the
 * migration 20261130090000_row_level_security): every connection handed out by the pool
 * (db/pool.ts) first sets `watchpost.tenant_id` / `watchpost.system` from the scope of the code
 * that asked for it. A query that forgets its tenant filter therefore still sees only the rows of
 * the tenant in scope — and code that runs without any scope sees no tenant rows at all.
 *
 * Scopes are carried by AsyncLocalStorage, so they follow awaits. Entry points set them: a request
 * once its caller is known (setRequestScope), a job for its tenant, the CLI and the operator as
 * `system` (every tenant: tenant management, authentication by key prefix, schedules).
 */

export type DbScope = { readonly kind: 'tenant'; readonly tenantId: string } | { readonly kind: 'system' }

/** A mutable slot, so that a request can open its scope before it knows the caller. */
interface ScopeSlot {
  scope: DbScope | null
}

const storage = new AsyncLocalStorage<ScopeSlot>()

/** The scope of the running code, or null (no tenant rows visible). */
export function currentDbScope(): DbScope | null {
  return storage.getStore()?.scope ?? null
}

/** Runs `fn` with only `tenantId`'s rows visible. */
export function withTenantScope<T>(tenantId: string, fn: () => T): T {
  return storage.run({ scope: { kind: 'tenant', tenantId } }, fn)
}

/** Runs `fn` with every tenant's rows visible: operator work, authentication, schedules. */
export function withSystemScope<T>(fn: () => T): T {
  return storage.run({ scope: { kind: 'system' } }, fn)
}

/**
 * Runs `fn` in `scope`, as currentDbScope() returned it earlier: for work that something else
 * resumes later (a stream pulls the next chunk from a database socket's callback, which carries
 * the scope of whichever job opened that connection, not the scope of the code that asked).
 */
export function withDbScope<T>(scope: DbScope | null, fn: () => T): T {
  return storage.run({ scope }, fn)
}

/** Runs `fn` (a request) with no rows visible until setRequestScope names the caller. */
export function withRequestScope<T>(fn: () => T): T {
  return storage.run({ scope: null }, fn)
}

/** Sets the scope of the request started by withRequestScope; outside one it changes nothing. */
export function setRequestScope(scope: DbScope | null): void {
  const slot = storage.getStore()
  if (slot !== undefined) slot.scope = scope
}
