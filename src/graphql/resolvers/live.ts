import { detectionStream } from '../../live/detection-stream.js'
import type { LiveHub } from '../../live/live-hub.js'
import { uploadProgressStream } from '../../live/upload-progress-stream.js'
import { requireTenant, type RequestContext } from '../context.js'
import type { Resolvers } from '../generated/resolver-types.js'
import type { DetectionParent, UploadRow } from '../resolver-parents.js'

/**
 * Subscriptions (served over WebSocket only: src/http/graphql-websocket.ts). Each streams what
 * src/live produces for the caller's own tenant; the payload is the LogUpload or Detection itself,
 * resolved by the same field resolvers as queries.
 */

/** The context of an operation over WebSocket: a request's, plus the process's live hub. */
export interface LiveContext extends RequestContext {
  live: LiveHub
}

export const liveResolvers: Resolvers<LiveContext> = {
  Subscription: {
    uploadProgress: {
      // Ingest-only keys may follow the uploads they send (as with the upload query).
      subscribe: (_, args, ctx) => {
        const { tenantId } = requireTenant(ctx, ['read', 'upload'])
        return uploadProgressStream({ prisma: ctx.deps.prisma, hub: ctx.live }, tenantId, args.id)
      },
      // The stream yields the record itself (codegen types a stream's items as any).
      resolve: (row: UploadRow) => row,
    },
    detectionCreated: {
      subscribe: (_, _args, ctx) => detectionStream({ pool: ctx.deps.pool, hub: ctx.live }, requireTenant(ctx, 'read').tenantId),
      resolve: (detection: DetectionParent) => detection,
    },
  },
}
