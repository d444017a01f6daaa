import type { Request } from 'express'
import { principalFromHeader, type AppDeps, type RequestContext } from '../graphql/context.js'

/**
 * Who sent the request, for the checks that must run before its body is read (rate limits, the
 * tenant's upload limit). Authenticated once per request however many such checks ask; the
 * GraphQL context and the REST routes still authenticate on their own, as they always did.
 */
const callers = new WeakMap<Request, Promise<RequestContext['principal']>>()

export function callerOf(deps: AppDeps, req: Request): Promise<RequestContext['principal']> {
  let caller = callers.get(req)
  if (!caller) callers.set(req, (caller = principalFromHeader(deps, req.headers.authorization)))
  return caller
}
