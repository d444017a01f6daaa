import type { AppDeps } from '../graphql/context.js'
import { identifyCaller, matchesSecret } from '../graphql/context.js'
import { ForbiddenError, UnauthenticatedError } from '../errors.js'

/**
 * The operator's HTTP surfaces besides GraphQL — /metrics and the queue board — check the
 * credential here. Scrapers send `Authorization: Bearer <secret>`; a browser cannot add a header
 * to a page it navigates to, so HTTP Basic works too, with the secret as the password (any user
 * name): the browser asks once and sends it with every request of the board.
 */

/** The secret of a Bearer or Basic Authorization header; null when there is none. */
export function presentedSecret(header: string | undefined): string | null {
  if (!header) return null
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(header)
  if (bearer) return bearer[1]!
  const basic = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header)
  if (!basic) return null
  const decoded = Buffer.from(basic[1]!, 'base64').toString('utf8')
  const colon = decoded.indexOf(':')
  return colon < 0 ? null : decoded.slice(colon + 1)
}

/**
 * Passes when the request presents one of `accepted` (configured secrets; null ones are skipped).
 * Throws UnauthenticatedError when it presents nothing or nothing known, and ForbiddenError for a
 * valid tenant API key: a tenant never reaches these surfaces.
 */
export async function requireCredential(deps: AppDeps, header: string | undefined, accepted: readonly (string | null)[], what: string): Promise<void> {
  const configured = accepted.filter((s): s is string => s !== null)
  if (configured.length === 0) throw new UnauthenticatedError(`${what} is disabled: no credential for it is configured`)
  const secret = presentedSecret(header)
  if (secret === null) throw new UnauthenticatedError(`${what} requires a credential: "Authorization: Bearer <secret>" or HTTP Basic with the secret as password`)
  // Every configured secret is compared, so the time taken does not say which one matched.
  const matches = configured.map((s) => matchesSecret(secret, s))
  if (matches.includes(true)) return
  const tenantKey = await identifyCaller(deps, `Bearer ${secret}`).catch(() => null)
  if (tenantKey !== null && !('operator' in tenantKey)) throw new ForbiddenError(`a tenant API key may not use ${what}`)
  throw new UnauthenticatedError(`the credential is not valid for ${what}`)
}
