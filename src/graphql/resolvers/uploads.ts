import { NotFoundError } from '../../errors.js'
import type { IngestStats } from '../../ingest/stats.js'
import { acceptUpload, parseFormatName } from '../../services/receive-upload.js'
import { uploadProgressOf } from '../../services/upload-progress.js'
import { pageSize } from '../../store/cursor.js'
import { findUpload, listUploads } from '../../store/uploads-query.js'
import { deleteUpload } from '../../store/uploads.js'
import { isUuid } from '../../store/rules.js'
import { requireTenant } from '../context.js'
import type { Resolvers } from '../generated/resolver-types.js'

export const uploadResolvers: Resolvers = {
  Query: {
    // Ingest-only keys may follow the uploads they send.
    upload: (_, args, ctx) =>
      findUpload(ctx.deps.prisma, requireTenant(ctx, ['read', 'upload']).tenantId, args.id),
    uploads: (_, args, ctx) =>
      listUploads(ctx.deps.prisma, requireTenant(ctx, 'read').tenantId, pageSize(args.first, 20, 200), args.after),
  },
  Mutation: {
    deleteUpload: async (_, args, ctx) => {
      const { tenantId } = requireTenant(ctx, 'write-rules')
      if (!isUuid(args.id) || !(await deleteUpload(ctx.deps.pool, tenantId, args.id))) throw new NotFoundError('Upload', args.id)
      return args.id
    },
    uploadLogs: async (_, args, ctx) => {
      const { tenantId } = requireTenant(ctx, 'upload')
      const file = await args.file
      // Opened when reading starts: a file already cut at the size limit fails right there, where
      // the upload service turns graphql-upload's error into PAYLOAD_TOO_LARGE.
      const bytes: AsyncIterable<Uint8Array> = { [Symbol.asyncIterator]: () => file.createReadStream()[Symbol.asyncIterator]() }
      const id = await acceptUpload(ctx.deps, tenantId, file.filename, parseFormatName(args.format), bytes)
      const row = await findUpload(ctx.deps.prisma, tenantId, id)
      if (!row) throw new NotFoundError('Upload', id)
      return row
    },
  },
  LogUpload: {
    sizeBytes: (u) => Number(u.sizeBytes),
    format: (u) => u.detectedFormat,
    skipped: (u) => u.skippedCount,
    skippedByKind: (u) => u.skippedByKind,
    // Stored as the parse's IngestStats.errors (json).
    errors: (u) => u.errors as IngestStats['errors'],
    progress: (u) => uploadProgressOf(u, new Date()),
  },
}
