import { randomBytes } from 'node:crypto'
import pg from 'pg'
import { expect, inject } from 'vitest'
import { adminUrl, databaseUrlFor } from './test-env.js'

/**
 * A database of this test file's own, cloned from the run's migrated template. drop() removes it
 * once the test's connections are closed; dropUnderConnections() at once, terminating them (for a
 * test of what running processes do when their database disappears).
 */
export async function createTestDatabase(): Promise<{ url: string; name: string; drop: () => Promise<void>; dropUnderConnections: () => Promise<void> }> {
  const template = inject('templateDatabase')
  const name = `wp_test_${randomBytes(5).toString('hex')}`
  await withAdmin((c) => c.query(`CREATE DATABASE "${name}" TEMPLATE "${template}"`))
  return {
    url: databaseUrlFor(name),
    name,
    drop: () => withAdmin((c) => dropWhenClosed(c, name)),
    dropUnderConnections: () => withAdmin((c) => forceDrop(c, name)),
  }
}

/** How long drop() lets the test's connections finish closing before it terminates them. */
const CLOSE_GRACE_MS = 3_000

/**
 * Drops the database once its connections are gone, forcing it after CLOSE_GRACE_MS. pg's
 * `Pool.end()` resolves as soon as it has asked its clients to end, not when their sockets are
 * closed: a forced drop right after it terminated a client still ending, whose FATAL error then
 * surfaced as an uncaught exception in the test file.
 */
async function dropWhenClosed(admin: pg.Client, name: string): Promise<void> {
  const deadline = Date.now() + CLOSE_GRACE_MS
  for (;;) {
    const { rows } = await admin.query<{ query: string }>('SELECT query FROM pg_stat_activity WHERE datname = $1', [name])
    if (rows.length === 0) break
    if (Date.now() >= deadline) {
      // A connection the test never closed: worth finding, so say where, and what it last ran.
      const file = expect.getState().testPath ?? 'an unknown test file'
      const last = rows.map((r) => JSON.stringify(r.query.slice(0, 80))).join(', ')
      process.stderr.write(`test database ${name} of ${file}: ${rows.length} connection(s) still open ${CLOSE_GRACE_MS} ms after the test (last queries: ${last}); terminating them\n`)
      break
    }
    await new Promise((r) => setTimeout(r, 25))
  }
  await forceDrop(admin, name)
}

async function forceDrop(admin: pg.Client, name: string): Promise<void> {
  await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)
}

async function withAdmin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const admin = new pg.Client({ connectionString: adminUrl() })
  await admin.connect()
  try {
    return await fn(admin)
  } finally {
    await admin.end()
  }
}
