import { pino, type Logger } from 'pino'

/** Structured JSON logs; never pass API keys or their hashes to a logger. */
export function createLogger(level: string, name: string): Logger {
  return pino({ level, name, redact: ['req.headers.authorization', 'authorization', 'apiKey', 'hash'] })
}
