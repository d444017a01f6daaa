import { pino, type DestinationStream, type Logger } from 'pino'
import { currentLogFields } from './log-context.js'

/**
 * Structured JSON logs; never pass API keys or their hashes to a logger. Each line carries the
 * fields of the work it was written for (a request's `requestId`, see log-context.ts).
 */
export function createLogger(level: string, name: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      name,
      redact: ['req.headers.authorization', 'authorization', 'apiKey', 'hash'],
      // A copy: pino merges the line's own fields into the object the mixin returns.
      mixin: () => ({ ...currentLogFields() }),
    },
    destination,
  )
}
