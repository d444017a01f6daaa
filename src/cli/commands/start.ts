import { runService } from './service-command.js'

/** `watchpost start`: migrate, then the API and a worker in one process (the README's one command). */
export const run = (args: string[]): Promise<number> => runService(args, 'start', { api: true, worker: true, migrate: true })
