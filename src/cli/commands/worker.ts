import { runService } from './service-command.js'

/** `watchpost worker`: the upload worker (BullMQ). */
export const run = (args: string[]): Promise<number> => runService(args, 'worker', { api: false, worker: true, migrate: false })
