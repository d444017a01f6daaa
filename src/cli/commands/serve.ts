import { runService } from './service-command.js'

/** `watchpost serve`: the GraphQL API. */
export const run = (args: string[]): Promise<number> => runService(args, 'serve', { api: true, worker: false, migrate: false })
