import { createHash, randomUUID } from 'node:crypto'
import { readdir, readFile } from 'node:fs/promises'
import pg from 'pg'

/**
 * Applies the SQL migrations in prisma/migrations (Prisma's folder layout) in name order, one
 * transaction each, and records them in Prisma's own `_prisma_migrations` ledger with the SHA-256
 * of each file, so `prisma migrate status` agrees wherever Prisma's engine is available. Prisma
 * Migrate itself cannot run here: its engine is a download.
 */

export const MIGRATIONS_DIR = new URL('../../prisma/migrations/', import.meta.url)

const LEDGER = `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
  "id" VARCHAR(36) PRIMARY KEY NOT NULL,
  "checksum" VARCHAR(64) NOT NULL,
  "finished_at" TIMESTAMPTZ,
  "migration_name" VARCHAR(255) NOT NULL,
  "logs" TEXT,
  "rolled_back_at" TIMESTAMPTZ,
  "started_at" TIMESTAMPTZ NOT NULL DEFAULT now(),
  "applied_steps_count" INTEGER NOT NULL DEFAULT 0
)`

/** Any int8 constant shared by every runner: concurrent `watchpost migrate` runs take turns. */
const LOCK_ID = 7_263_554_120_001

export interface Migration {
  name: string
  sql: string
  checksum: string
}

export class MigrationError extends Error {
  override name = 'MigrationError'
}

/** Reads every `<name>/migration.sql`, in name order. */
export async function loadMigrations(dir: URL = MIGRATIONS_DIR): Promise<Migration[]> {
  const entries = await readdir(dir, { withFileTypes: true })
  const names = entries.filter((e) => e.isDirectory()).map((e) => e.name).sort()
  return Promise.all(
    names.map(async (name) => {
      const sql = await readFile(new URL(`${name}/migration.sql`, dir), 'utf8')
      return { name, sql, checksum: createHash('sha256').update(sql).digest('hex') }
    }),
  )
}

/** Creates the database named in `databaseUrl` when it does not exist yet. */
export async function ensureDatabase(databaseUrl: string): Promise<boolean> {
  const url = new URL(databaseUrl)
  const name = decodeURIComponent(url.pathname.slice(1))
  if (!name) throw new MigrationError('DATABASE_URL names no database')
  url.pathname = '/postgres'
  const admin = new pg.Client({ connectionString: url.toString() })
  await admin.connect()
  try {
    const found = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name])
    if (found.rowCount) return false
    await admin.query(`CREATE DATABASE "${name.replaceAll('"', '""')}"`)
    return true
  } finally {
    await admin.end()
  }
}

export interface MigrateResult {
  applied: string[]
  alreadyApplied: string[]
}

/** Applies every pending migration; refuses to run when an applied file has been edited since. */
export async function migrate(client: pg.ClientBase, migrations: Migration[]): Promise<MigrateResult> {
  await client.query('SELECT pg_advisory_lock($1)', [LOCK_ID])
  try {
    // Migrations may move data of every tenant; row-level security must not hide it from them
    // when the migrating user is the tables' owner rather than a superuser.
    await client.query("SELECT set_config('watchpost.system', 'on', false)")
    await client.query(LEDGER)
    const { rows } = await client.query<{ migration_name: string; checksum: string; finished_at: Date | null }>(
      'SELECT migration_name, checksum, finished_at FROM "_prisma_migrations" WHERE rolled_back_at IS NULL',
    )
    const done = new Map(rows.filter((r) => r.finished_at).map((r) => [r.migration_name, r.checksum]))
    const result: MigrateResult = { applied: [], alreadyApplied: [] }
    for (const m of migrations) {
      const checksum = done.get(m.name)
      if (checksum !== undefined) {
        if (checksum !== m.checksum) {
          throw new MigrationError(`migration ${m.name} was changed after it was applied (checksum ${checksum} in the database, ${m.checksum} on disk)`)
        }
        result.alreadyApplied.push(m.name)
        continue
      }
      await applyOne(client, m)
      result.applied.push(m.name)
    }
    return result
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [LOCK_ID])
  }
}

async function applyOne(client: pg.ClientBase, m: Migration): Promise<void> {
  const id = randomUUID()
  await client.query('BEGIN')
  try {
    await client.query(
      'INSERT INTO "_prisma_migrations" (id, checksum, migration_name, started_at) VALUES ($1, $2, $3, now())',
      [id, m.checksum, m.name],
    )
    await client.query(m.sql)
    await client.query('UPDATE "_prisma_migrations" SET finished_at = now(), applied_steps_count = 1 WHERE id = $1', [id])
    await client.query('COMMIT')
  } catch (err) {
    await client.query('ROLLBACK')
    throw new MigrationError(`migration ${m.name} failed: ${(err as Error).message}`)
  }
}

/** Names of migrations on disk that the database has not applied (for /readyz and `migrate --status`). */
export async function pendingMigrations(client: pg.ClientBase, migrations: Migration[]): Promise<string[]> {
  const exists = await client.query("SELECT to_regclass('_prisma_migrations') AS t")
  if (!exists.rows[0]?.t) return migrations.map((m) => m.name)
  const { rows } = await client.query<{ migration_name: string }>(
    'SELECT migration_name FROM "_prisma_migrations" WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL',
  )
  const done = new Set(rows.map((r) => r.migration_name))
  return migrations.filter((m) => !done.has(m.name)).map((m) => m.name)
}
