import type pg from 'pg'
import { loadConfig } from '../config.js'
import { createPool } from '../db/pool.js'
import { createPrisma, type PrismaClient } from '../db/prisma.js'
import { DomainError } from '../errors.js'
import { CliError } from './cli-error.js'

/**
 * Runs a CLI command against the configured database: opens a small pool and Prisma client,
 * turns domain errors into plain CLI errors (no stack trace), and always closes the connections.
 */
export async function withDatabase<T>(fn: (db: { pool: pg.Pool; prisma: PrismaClient }) => Promise<T>): Promise<T> {
  const config = loadConfig(process.env)
  const pool = createPool(config.databaseUrl, 2)
  const prisma = createPrisma(pool)
  try {
    return await fn({ pool, prisma })
  } catch (err) {
    if (err instanceof DomainError) throw new CliError(err.message)
    throw err
  } finally {
    await prisma.$disconnect()
    await pool.end()
  }
}
