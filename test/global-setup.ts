import { randomBytes } from 'node:crypto'
import pg from 'pg'
import type { TestProject } from 'vitest/node'
import { ensureDatabase, loadMigrations, migrate } from '../src/db/migrate.js'
import { adminUrl, databaseUrlFor } from './helpers/test-env.js'

/**
 * Once per test run: a freshly migrated template database. Each integration test file clones it
 * (CREATE DATABASE … TEMPLATE), so files never see each other's rows and never pay for migrations.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const template = `wp_tpl_${process.pid}_${randomBytes(3).toString('hex')}`
  const url = databaseUrlFor(template)
  await ensureDatabase(url)
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    await migrate(client, await loadMigrations())
  } finally {
    await client.end()
  }
  project.provide('templateDatabase', template)
  return async () => {
    const admin = new pg.Client({ connectionString: adminUrl() })
    await admin.connect()
    try {
      await admin.query(`DROP DATABASE IF EXISTS "${template}" WITH (FORCE)`)
    } finally {
      await admin.end()
    }
  }
}

declare module 'vitest' {
  export interface ProvidedContext {
    templateDatabase: string
  }
}
