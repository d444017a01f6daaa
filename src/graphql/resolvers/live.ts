import { detectionStream } from '../../live/detection-stream.js'
import type { LiveHub } from '../../live/live-hub.js'
import { uploadProgressStream } from '../../live/upload-progress-stream.js'
import type { DetectionRecord } from '../../store/detections-query.js'
import type { UploadRow } from '../../store/uploads-query.js'
import { requireTenant, type RequestContext } from '../context.js'

/**
 * Subscriptions (served over WebSocket only: src/http/graphql-websocket.ts). Each streams what
 * src/live produces for the caller's own tenant; the payload is the LogUpload or Detection itself,
 * resolved by the same field resolvers as queries.
 */

/** The context of an operation over WebSocket: a request's, plus the process's live hub. */
export interface LiveContext extends RequestContext {
  live: LiveHub
}

export const liveResolvers = {
  Subscription: {
    uploadProgress: {
      // Ingest-only keys may follow the uploads they send (as with the upload query).
      subscribe: (_: unknown, args: { id: string }, ctx: LiveContext) => {
        const { tenantId } = requireTenant(ctx, ['read', 'upload'])
        return uploadProgressStream({ prisma: ctx.deps.prisma, hub: ctx.live }, tenantId, args.id)
      },
      resolve: (row: UploadRow) => row,
    },
    detectionCreated: {
      subscribe: (_: unknown, _args: unknown, ctx: LiveContext) => detectionStream({ pool: ctx.deps.pool, hub: ctx.live }, requireTenant(ctx, 'read').tenantId),
      resolve: (detection: DetectionRecord & { tenantId: string }) => detection,
    },
  },
}
