import { loadConfig } from '../../config.js'
import { createLogger } from '../../logger.js'
import { closeOnSignals, startService } from '../../service.js'
import { noExtraArgs } from '../commands.js'
import { migrateDatabase } from './migrate.js'

/** Shared body of `serve`, `worker` and `start`: runs until SIGTERM or SIGINT. */
export async function runService(args: string[], command: string, roles: { api: boolean; worker: boolean; migrate: boolean }): Promise<number> {
  noExtraArgs(args, command)
  const config = loadConfig(process.env)
  const log = createLogger(config.logLevel, `watchpost-${command}`)
  if (roles.migrate) await migrateDatabase(config.databaseUrl, (line) => log.info(line))
  const service = await startService(config, log, roles)
  if (service.url) process.stderr.write(`watchpost: GraphQL API at ${service.url}/graphql\n`)
  closeOnSignals(service, log, config.shutdownGraceMs)
  await new Promise(() => {})
  return 0
}
