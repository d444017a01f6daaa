import type { FileUpload } from 'graphql-upload/processRequest.mjs'
import { NotFoundError } from '../../errors.js'
import { acceptUpload, parseFormatName } from '../../services/receive-upload.js'
import { uploadProgressOf } from '../../services/upload-progress.js'
import { pageSize } from '../../store/cursor.js'
import { findUpload, listUploads, type UploadRow } from '../../store/uploads-query.js'
import { deleteUpload } from '../../store/uploads.js'
import { isUuid } from '../../store/rules.js'
import { requireTenant, type RequestContext } from '../context.js'

export const uploadResolvers = {
  Query: {
    // Ingest-only keys may follow the uploads they send.
    upload: (_: unknown, args: { id: string }, ctx: RequestContext) =>
      findUpload(ctx.deps.prisma, requireTenant(ctx, ['read', 'upload']).tenantId, args.id),
    uploads: (_: unknown, args: { first?: number; after?: string | null }, ctx: RequestContext) =>
      listUploads(ctx.deps.prisma, requireTenant(ctx, 'read').tenantId, pageSize(args.first, 20, 200), args.after),
  },
  Mutation: {
    deleteUpload: async (_: unknown, args: { id: string }, ctx: RequestContext) => {
      const { tenantId } = requireTenant(ctx, 'write-rules')
      if (!isUuid(args.id) || !(await deleteUpload(ctx.deps.pool, tenantId, args.id))) throw new NotFoundError('Upload', args.id)
      return args.id
    },
    uploadLogs: async (_: unknown, args: { file: Promise<FileUpload>; format?: string | null }, ctx: RequestContext) => {
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
    sizeBytes: (u: UploadRow) => Number(u.sizeBytes),
    format: (u: UploadRow) => u.detectedFormat,
    skipped: (u: UploadRow) => u.skippedCount,
    skippedByKind: (u: UploadRow) => u.skippedByKind,
    errors: (u: UploadRow) => u.errors,
    progress: (u: UploadRow) => uploadProgressOf(u, new Date()),
  },
}
