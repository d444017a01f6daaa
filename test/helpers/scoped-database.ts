import type pg from 'pg'
import { createPool } from '../../src/db/pool.js'
import { createPrisma, type PrismaClient } from '../../src/db/prisma.js'
import { createTestDatabase } from './test-database.js'

/**
 * A test file's own database seen two ways: as its owner (no row-level security: set-up and the
 * truth to compare with) and as the application role the service runs as (every checkout scoped,
 * see src/db/pool.ts), with Prisma over the owner's pool.
 */
export interface ScopedTestDatabase {
  readonly url: string
  readonly ownerPool: pg.Pool
  readonly appPool: pg.Pool
  readonly prisma: PrismaClient
  close(): Promise<void>
}

export async function openScopedTestDatabase(opts: { appConnections?: number } = {}): Promise<ScopedTestDatabase> {
  const db = await createTestDatabase()
  const ownerPool = createPool(db.url, { max: 2 })
  const appPool = createPool(db.url, { max: opts.appConnections ?? 2, appRole: 'watchpost_app' })
  const prisma = createPrisma(ownerPool)
  return {
    url: db.url,
    ownerPool,
    appPool,
    prisma,
    async close() {
      await prisma.$disconnect()
      await appPool.end()
      await ownerPool.end()
      await db.drop()
    },
  }
}
