import { z } from 'zod'

/**
 * Configuration, read from the environment once at start (only the entry points pass
 * `process.env`) and validated, so a typo fails at boot with the variable's name, not at first use.
 */

const port = z.coerce.number().int().min(0).max(65535)
const positiveInt = z.coerce.number().int().positive()

const schema = z.object({
  DATABASE_URL: z.string().url().default('postgresql://postgres@127.0.0.1:5432/watchpost'),
  REDIS_URL: z.string().url().default('redis://127.0.0.1:6379'),
  PORT: port.default(4000),
  HOST: z.string().default('0.0.0.0'),
  /** Prefix of every BullMQ key, so several deployments (or test runs) share one Redis. */
  QUEUE_PREFIX: z.string().regex(/^[A-Za-z0-9_:-]+$/).default('watchpost'),
  WORKER_CONCURRENCY: positiveInt.default(2),
  /** How often the worker processes purge data older than each tenant's retention period. */
  RETENTION_SWEEP_INTERVAL_MS: z.coerce.number().int().min(1_000).default(3_600_000),
  /** Largest accepted upload, in bytes, before decompression. */
  MAX_UPLOAD_BYTES: positiveInt.default(5 * 1024 ** 3),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  /** The operator credential that manages tenants; unset means tenant management only via the CLI. */
  OPERATOR_TOKEN: z.string().min(32, 'must be at least 32 characters').optional(),
})

export type Config = Readonly<{
  databaseUrl: string
  redisUrl: string
  port: number
  host: string
  queuePrefix: string
  workerConcurrency: number
  retentionSweepIntervalMs: number
  maxUploadBytes: number
  logLevel: z.infer<typeof schema>['LOG_LEVEL']
  production: boolean
  operatorToken: string | null
}>

/** Thrown when the environment is invalid; the message names every bad variable. */
export class ConfigError extends Error {
  override name = 'ConfigError'
}

/** Parses and validates the environment into a frozen Config. */
export function loadConfig(env: Record<string, string | undefined>): Config {
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''))
  const parsed = schema.safeParse(cleaned)
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')
    throw new ConfigError(`invalid configuration: ${problems}`)
  }
  const c = parsed.data
  return Object.freeze({
    databaseUrl: c.DATABASE_URL,
    redisUrl: c.REDIS_URL,
    port: c.PORT,
    host: c.HOST,
    queuePrefix: c.QUEUE_PREFIX,
    workerConcurrency: c.WORKER_CONCURRENCY,
    retentionSweepIntervalMs: c.RETENTION_SWEEP_INTERVAL_MS,
    maxUploadBytes: c.MAX_UPLOAD_BYTES,
    logLevel: c.LOG_LEVEL,
    production: c.NODE_ENV === 'production',
    operatorToken: c.OPERATOR_TOKEN ?? null,
  })
}
