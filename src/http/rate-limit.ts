import type { RequestHandler } from 'express'
import type { Logger } from 'pino'
import { RateLimitedError, UnauthenticatedError } from '../errors.js'
import type { AppDeps } from '../graphql/context.js'
import type { RateLimiter } from '../rate-limit/redis-rate-limiter.js'
import { callerOf } from './caller.js'
import { clientAddressKey } from './client-address.js'
import { sendError, sendGraphQLError } from './error-response.js'

/**
 * Per-caller request budgets (RATE_LIMIT_PER_MINUTE per API key, RATE_LIMIT_UNAUTHENTICATED_PER_MINUTE
 * per client address), checked before the body is read so a refused upload is never received.
 *
 * - A valid key spends from its own budget, the operator credential from the operator's.
 * - A request without a key, or with a key that fails authentication, spends from its address's
 *   budget. Once that is spent, the address may not present keys at all until it refills: that is
 *   what slows down key guessing (a correct guess would otherwise still get through).
 * Failed authentications are then answered as always (UNAUTHENTICATED) by the route itself.
 */
export function rateLimit(deps: AppDeps, limiter: RateLimiter, answer: 'graphql' | 'rest', log: Logger): RequestHandler {
  const perKey = deps.config.rateLimitPerMinute
  const perAddress = deps.config.rateLimitUnauthenticatedPerMinute
  const reply = answer === 'graphql' ? sendGraphQLError : sendError
  const enforce = async (spend: boolean, bucket: string, perMinute: number, who: string): Promise<void> => {
    if (perMinute === 0) return
    const decision = spend ? await limiter.take(bucket, perMinute) : await limiter.wouldAllow(bucket, perMinute)
    if (!decision.allowed) throw new RateLimitedError(perMinute, Math.max(1, Math.ceil(decision.retryAfterMs / 1000)), who)
  }
  return async (req, res, next) => {
    if (perKey === 0 && perAddress === 0) return next()
    try {
      const address = `address:${clientAddressKey(req.ip)}`
      const anonymous = 'from this address without a valid API key'
      if (!req.headers.authorization) {
        await enforce(true, address, perAddress, anonymous)
        return next()
      }
      await enforce(false, address, perAddress, anonymous)
      const caller = await callerOf(deps, req).catch(async (err: unknown) => {
        if (!(err instanceof UnauthenticatedError)) throw err
        await enforce(true, address, perAddress, anonymous)
        return undefined
      })
      if (caller === undefined) return next()
      if (caller === null) await enforce(true, address, perAddress, anonymous)
      else if ('operator' in caller) await enforce(true, 'operator', perKey, 'for the operator credential')
      else await enforce(true, `key:${caller.keyId}`, perKey, 'for this API key')
      next()
    } catch (err) {
      reply(res, err, (e) => log.error({ err: e }, 'unexpected error while rate limiting a request'))
    }
  }
}
