import { CliError } from './cli-error.js'

/**
 * The sub-commands. Each is loaded only when run, so `watchpost scan` and `watchpost rules check`
 * need neither the generated Prisma client nor any service.
 */

export type Command = (args: string[]) => Promise<number>

const lazy =
  (load: () => Promise<{ run: Command }>): Command =>
  async (args) =>
    (await load()).run(args)

export const commands: Record<string, Command> = {
  scan: lazy(() => import('./commands/scan.js')),
  rules: lazy(() => import('./commands/rules.js')),
  migrate: lazy(() => import('./commands/migrate.js')),
  tenant: lazy(() => import('./commands/tenant.js')),
  apikey: lazy(() => import('./commands/apikey.js')),
  exception: lazy(() => import('./commands/exception.js')),
  serve: lazy(() => import('./commands/serve.js')),
  worker: lazy(() => import('./commands/worker.js')),
  start: lazy(() => import('./commands/start.js')),
  export: lazy(() => import('./commands/export.js')),
  upload: lazy(() => import('./commands/upload.js')),
}

export function usage(): string {
  return `Usage: watchpost <command> [options]

Offline (no services needed):
  scan [--rules PATH…] [--format json|table] FILE…   run ESCU rules over log files (FILE may be a folder, or -)
  rules check PATH…                                 parse and compile rule/macro YAML files or folders

Client of a running service (WATCHPOST_URL, WATCHPOST_API_KEY):
  upload [--server URL] [--key KEY] [--json] [--no-wait] FILE…
                                   send log files, show progress, wait and print each result

Service (Postgres and Redis from DATABASE_URL, REDIS_URL):
  migrate                          create the database if needed and apply pending migrations
  tenant create NAME [--json]      create a tenant and print its first API key (shown once)
  tenant list|suspend|resume|delete [NAME]   list tenants, suspend or resume one, or purge it
  tenant retention NAME --days N|--forever   how long a tenant's events are kept (1-3650 days)
  tenant limits NAME [--max-upload-bytes N|default]   show or set a tenant's own upload limit
  apikey create|list|revoke --tenant NAME …  manage a tenant's API keys (see apikey --help)
  exception list|add|delete --tenant NAME …  a tenant's rule exceptions (see exception --help)
  export detections|risk-events|attack-layer --tenant NAME [--format csv|json|ndjson] [--out FILE] …
                                   a tenant's detections, risk events (--layout splunk-risk) or ATT&CK Navigator layer
  serve                            run the GraphQL API (PORT, default 4000)
  worker                           run the upload worker and the scheduled retention sweep
  start                            migrate, then run the API and a worker in one process

watchpost <command> --help (or watchpost help <command>) says more of each.
`
}

/** Fails with a usage error unless `args` is empty. */
export function noExtraArgs(args: string[], command: string): void {
  if (args.length > 0) throw new CliError(`${command}: unexpected argument "${args[0]}"`, 2)
}
