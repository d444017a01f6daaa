import pg from 'pg'
import { loadConfig } from '../../config.js'
import { ensureDatabase, loadMigrations, migrate } from '../../db/migrate.js'
import { noExtraArgs } from '../commands.js'

/** `watchpost migrate`: creates the database when missing, then applies pending migrations. */
export async function run(args: string[]): Promise<number> {
  noExtraArgs(args, 'migrate')
  const { databaseUrl } = loadConfig(process.env)
  await migrateDatabase(databaseUrl, (line) => process.stdout.write(line + '\n'))
  return 0
}

export async function migrateDatabase(databaseUrl: string, say: (line: string) => void): Promise<void> {
  if (await ensureDatabase(databaseUrl)) say(`created database ${new URL(databaseUrl).pathname.slice(1)}`)
  const client = new pg.Client({ connectionString: databaseUrl })
  await client.connect()
  try {
    const result = await migrate(client, await loadMigrations())
    for (const name of result.applied) say(`applied ${name}`)
    say(result.applied.length === 0 ? `database is up to date (${result.alreadyApplied.length} migrations)` : `${result.applied.length} migration(s) applied`)
  } finally {
    await client.end()
  }
}
