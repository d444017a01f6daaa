import type { RequestHandler } from 'express'
import { withRequestScope } from '../db/db-scope.js'

/**
 * Opens the request's database scope (empty until the caller is identified by
 * principalOfRequest). Mount it after middleware that reads the body: callbacks of stream events
 * run outside the async context of the request that registered them.
 */
export const requestScope: RequestHandler = (_req, _res, next) => withRequestScope(() => next())
