import type { RequestHandler } from 'express'
import graphqlUploadExpress from 'graphql-upload/graphqlUploadExpress.mjs'
import { withTenantScope } from '../db/db-scope.js'
import type { AppDeps } from '../graphql/context.js'
import { tenantUploadLimit } from '../store/tenant-limits.js'
import { callerOf } from './caller.js'

/**
 * GraphQL multipart requests (graphql-upload), cut at the caller's own upload limit — the
 * tenant's, else MAX_UPLOAD_BYTES — so a file over it stops streaming to the temporary file at
 * once. The upload service checks the same limit again while storing (receive-upload.ts).
 */
export function graphqlUploads(deps: AppDeps): RequestHandler {
  return async (req, res, next) => {
    if (!req.is('multipart/form-data')) return next()
    let maxFileSize = deps.config.maxUploadBytes
    try {
      const caller = await callerOf(deps, req)
      // Before the request's own scope opens (after the body parsers): scoped here explicitly.
      if (caller !== null && 'tenantId' in caller) maxFileSize = await withTenantScope(caller.tenantId, () => tenantUploadLimit(deps.pool, caller.tenantId, maxFileSize))
    } catch {
      // A failed authentication is answered by the GraphQL context, as for any other request.
    }
    graphqlUploadExpress({ maxFileSize, maxFiles: 1 })(req, res, next)
  }
}
