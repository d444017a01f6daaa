import pg from 'pg'
import { createPrisma } from '../../src/db/prisma.js'
import { createTenant, type CreatedTenant } from '../../src/store/tenants.js'

/** Creates a tenant (and its first admin key) directly in a test database. */
export async function createTestTenant(databaseUrl: string, name: string): Promise<CreatedTenant> {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 1 })
  const prisma = createPrisma(pool)
  try {
    return await createTenant(prisma, name)
  } finally {
    await prisma.$disconnect()
    await pool.end()
  }
}
