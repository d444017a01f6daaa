import { parseArgs } from 'node:util'
import { loadConfig } from '../../config.js'
import { createPool } from '../../db/pool.js'
import { createPrisma } from '../../db/prisma.js'
import { DomainError } from '../../errors.js'
import { createTenant } from '../../store/tenants.js'
import { CliError } from '../cli-error.js'

/** `watchpost tenant create NAME [--json]`: prints the tenant's first API key, once. */
export async function run(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { json: { type: 'boolean', default: false } } })
  const [sub, name, extra] = positionals
  if (sub !== 'create' || !name || extra !== undefined) throw new CliError('usage: watchpost tenant create NAME [--json]', 2)
  const config = loadConfig(process.env)
  const pool = createPool(config.databaseUrl, 2)
  const prisma = createPrisma(pool)
  try {
    const created = await createTenant(prisma, name)
    if (values.json) {
      process.stdout.write(JSON.stringify({ tenant: { id: created.tenant.id, name: created.tenant.name }, apiKey: created.apiKey }) + '\n')
    } else {
      process.stdout.write(`tenant ${created.tenant.name} created (id ${created.tenant.id})\nAPI key (shown once, keep it safe): ${created.apiKey}\n`)
    }
    return 0
  } catch (err) {
    if (err instanceof DomainError) throw new CliError(err.message)
    throw err
  } finally {
    await prisma.$disconnect()
    await pool.end()
  }
}
