import pg from 'pg'
import { createPool } from '../../src/db/pool.js'
import { createPrisma, type PrismaClient } from '../../src/db/prisma.js'
import { createBenchDatabase, type BenchDatabase } from './bench-database.js'

/**
 * What a benchmark of the real service processes stands on: a database of its own, an owner
 * connection (to empty it between runs), the application's pool and Prisma (to read results as
 * the service does), and the environment `watchpost serve` and `watchpost worker` are started with.
 */
export interface BenchDeployment {
  readonly db: BenchDatabase
  readonly owner: pg.Client
  readonly pool: pg.Pool
  readonly prisma: PrismaClient
  /** One upload at a time per worker process, and no rate limit on the benchmark's own client. */
  readonly env: Record<string, string>
  /** Disconnects and drops the database; stop the processes first. */
  close(): Promise<void>
}

export async function openBenchDeployment(): Promise<BenchDeployment> {
  const db = await createBenchDatabase()
  const owner = new pg.Client({ connectionString: db.url })
  await owner.connect()
  const pool = createPool(db.url, { max: 2 })
  const prisma = createPrisma(pool)
  const env = { DATABASE_URL: db.url, QUEUE_PREFIX: db.name, PORT: '0', HOST: '127.0.0.1', WORKER_CONCURRENCY: '1', RATE_LIMIT_PER_MINUTE: '0', RATE_LIMIT_UNAUTHENTICATED_PER_MINUTE: '0' }
  return {
    db,
    owner,
    pool,
    prisma,
    env,
    async close() {
      await prisma.$disconnect()
      await pool.end()
      await owner.end()
      await db.drop()
    },
  }
}
