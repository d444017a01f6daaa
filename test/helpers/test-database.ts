import { randomBytes } from 'node:crypto'
import pg from 'pg'
import { inject } from 'vitest'
import { adminUrl, databaseUrlFor } from './test-env.js'

/** A database of this test file's own, cloned from the run's migrated template; drop() removes it. */
export async function createTestDatabase(): Promise<{ url: string; name: string; drop: () => Promise<void> }> {
  const template = inject('templateDatabase')
  const name = `wp_test_${randomBytes(5).toString('hex')}`
  await withAdmin((c) => c.query(`CREATE DATABASE "${name}" TEMPLATE "${template}"`))
  return {
    url: databaseUrlFor(name),
    name,
    drop: () => withAdmin((c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)).then(() => {}),
  }
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
