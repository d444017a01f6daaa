import { randomBytes } from 'node:crypto'
import pg from 'pg'
import { loadConfig } from '../../src/config.js'
import { ensureDatabase, loadMigrations, migrate } from '../../src/db/migrate.js'
import { deleteQueueKeys } from '../helpers/redis-keys.js'

/** A freshly migrated database of the benchmark's own, on BENCH_DATABASE_URL's server; drop() removes it. */
export interface BenchDatabase {
  readonly name: string
  readonly url: string
  drop(): Promise<void>
}

const BASE_URL = process.env.BENCH_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres'

/**
 * `name`: a fixed name, for a benchmark that keeps its database between runs (an existing one is
 * reused, with any new migrations applied); a random one by default.
 */
export async function createBenchDatabase(name = `wp_bench_${randomBytes(4).toString('hex')}`): Promise<BenchDatabase> {
  const u = new URL(BASE_URL)
  u.pathname = `/${name}`
  const url = u.toString()
  await ensureDatabase(url)
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    await migrate(client, await loadMigrations())
  } finally {
    await client.end()
  }
  return {
    name,
    url,
    drop: () => dropBenchDatabase(name),
  }
}

/**
 * Drops the benchmark database `name` (if it exists), and the queue keys of the processes that
 * ran on it: benchmarks start them with the database's name as QUEUE_PREFIX.
 */
export async function dropBenchDatabase(name: string): Promise<void> {
  const admin = new pg.Client({ connectionString: BASE_URL })
  await admin.connect()
  try {
    await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)
  } finally {
    await admin.end()
  }
  // The Redis those processes used: the one their configuration resolves from this environment.
  await deleteQueueKeys(loadConfig(process.env).redisUrl, name)
}
