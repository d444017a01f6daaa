import type { Request } from 'express'
import { identifyCaller, scopeRequestTo, type AppDeps, type RequestContext } from '../graphql/context.js'

/**
 * Who sent the request: authenticated once per request, however many places ask — the checks that
 * run before its body is read (rate limits, the tenant's upload limit) and the GraphQL context and
 * REST routes (principalOfRequest).
 */
const callers = new WeakMap<Request, Promise<RequestContext['principal']>>()

export function callerOf(deps: AppDeps, req: Request): Promise<RequestContext['principal']> {
  let caller = callers.get(req)
  if (!caller) callers.set(req, (caller = identifyCaller(deps, req.headers.authorization)))
  return caller
}

/** The request's caller, with the rest of the request's database access scoped to it (see requestScope). */
export async function principalOfRequest(deps: AppDeps, req: Request): Promise<RequestContext['principal']> {
  const principal = await callerOf(deps, req)
  scopeRequestTo(principal)
  return principal
}
