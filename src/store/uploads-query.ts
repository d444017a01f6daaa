import type { PrismaClient } from '../db/prisma.js'
import type { Upload } from '../generated/prisma/client.js'
import { decodeTimeCursor, encodeCursor } from './cursor.js'
import { isUuid } from './rules.js'

export type UploadRow = Upload

export async function findUpload(prisma: PrismaClient, tenantId: string, id: string): Promise<UploadRow | null> {
  if (!isUuid(id)) return null
  return prisma.upload.findFirst({ where: { id, tenantId } })
}

/** Uploads newest first, keyset-paginated on (createdAt, id). */
export async function listUploads(prisma: PrismaClient, tenantId: string, first: number, after?: string | null) {
  const c = after ? decodeTimeCursor(after) : null
  const rows = await prisma.upload.findMany({
    where: {
      tenantId,
      ...(c ? { OR: [{ createdAt: { lt: c.time } }, { createdAt: c.time, id: { lt: c.id } }] } : {}),
    },
    orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
    take: first + 1,
  })
  const page = rows.slice(0, first)
  const edges = page.map((node) => ({ cursor: encodeCursor(String(node.createdAt.getTime()), node.id), node }))
  return { edges, pageInfo: { hasNextPage: rows.length > first, endCursor: edges.at(-1)?.cursor ?? null } }
}
