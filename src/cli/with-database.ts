import type pg from 'pg'
import { loadConfig } from '../config.js'
import { withSystemScope } from '../db/db-scope.js'
import { createPool } from '../db/pool.js'
import { createPrisma, type PrismaClient } from '../db/prisma.js'
import { DomainError } from '../errors.js'
import { CliError } from './cli-error.js'

/**
 * Runs a CLI command against the configured database: opens a small pool and Prisma client,
 * turns domain errors into plain CLI errors (no stack trace), and always closes the connections.
 * The CLI is the operator's tool: it connects as the service does (the application role) in the
 * system scope, which sees every tenant.
 */
export async function withDatabase<T>(fn: (db: { pool: pg.Pool; prisma: PrismaClient }) => Promise<T>): Promise<T> {
  const config = loadConfig(process.env)
  const pool = createPool(config.databaseUrl, { max: 2, appRole: config.databaseAppRole })
  const prisma = createPrisma(pool)
  try {
    return await withSystemScope(() => fn({ pool, prisma }))
  } catch (err) {
    if (err instanceof DomainError) throw new CliError(err.message)
    throw err
  } finally {
    await prisma.$disconnect()
    await pool.end()
  }
}
