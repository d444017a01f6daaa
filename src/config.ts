import { z } from 'zod'

/**
 * Configuration, read from the environment once at start (only the entry points pass
 * `process.env`) and validated, so a typo fails at boot with the variable's name, not at first use.
 */

const port = z.coerce.number().int().min(0).max(65535)
const positiveInt = z.coerce.number().int().positive()
const nonNegativeInt = z.coerce.number().int().min(0)

const schema = z.object({
  DATABASE_URL: z.string().url().default('postgresql://postgres@127.0.0.1:5432/watchpost'),
  /**
   * Role the service's connections switch to, so that Postgres row-level security applies to them
   * (created by `watchpost migrate`). "none" keeps the login user — only for a login that is
   * itself such a role.
   */
  DATABASE_APP_ROLE: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]*$/)
    .default('watchpost_app'),
  REDIS_URL: z.string().url().default('redis://127.0.0.1:6379'),
  PORT: port.default(4000),
  HOST: z.string().default('0.0.0.0'),
  /** Prefix of every BullMQ key, so several deployments (or test runs) share one Redis. */
  QUEUE_PREFIX: z.string().regex(/^[A-Za-z0-9_:-]+$/).default('watchpost'),
  WORKER_CONCURRENCY: positiveInt.default(2),
  /**
   * How long a running job's lock lasts (renewed every half of it). When a worker dies, another
   * takes its jobs over once the lock has run out: within about two of these.
   */
  WORKER_LOCK_DURATION_MS: z.coerce.number().int().min(1_000).default(30_000),
  /**
   * How often a running upload job writes its progress (bytes and events read) and announces it
   * to subscribers: one small UPDATE and one Redis PUBLISH per interval and running upload.
   */
  UPLOAD_PROGRESS_INTERVAL_MS: z.coerce.number().int().min(100).max(60_000).default(1_000),
  /** How often each worker process re-enqueues the work Postgres says is unfinished but Redis has no job for. */
  RECONCILE_INTERVAL_MS: z.coerce.number().int().min(100).default(60_000),
  /** How often the worker processes purge data older than each tenant's retention period. */
  RETENTION_SWEEP_INTERVAL_MS: z.coerce.number().int().min(1_000).default(3_600_000),
  /**
   * On SIGTERM, how long the requests and upload jobs in flight may run on before the requests are
   * cut and the jobs handed back to the queue; keep the orchestrator's own grace period ~10 s above.
   */
  SHUTDOWN_GRACE_MS: nonNegativeInt.default(20_000),
  /** Largest accepted upload, in bytes, before decompression. */
  MAX_UPLOAD_BYTES: positiveInt.default(5 * 1024 ** 3),
  /** Largest size a gzip upload may inflate to; reading stops there with an error. */
  MAX_DECOMPRESSED_BYTES: positiveInt.default(4 * 1024 ** 3),
  /** Largest inflated:compressed ratio of a gzip upload past its first MiB (a zip bomb's is ~1000:1); 0: no ratio limit. */
  MAX_GZIP_RATIO: nonNegativeInt.default(100),
  /** Requests per minute per API key (or the operator credential) on /graphql and /v1/uploads; 0: unlimited. */
  RATE_LIMIT_PER_MINUTE: nonNegativeInt.default(600),
  /** Requests per minute per client address without a valid key (anonymous or failed authentication); 0: unlimited. */
  RATE_LIMIT_UNAUTHENTICATED_PER_MINUTE: nonNegativeInt.default(60),
  /** Rows each query of a detection or risk event export reads: the most an export holds in memory at once. */
  EXPORT_BATCH_ROWS: z.coerce.number().int().min(1).max(100_000).default(1000),
  /**
   * Memory (MiB) each API process may use to answer repeated queries of detections and risk
   * objects while the tenant's data is unchanged (src/graphql/response-cache); 0 turns it off.
   */
  GRAPHQL_RESPONSE_CACHE_MB: z.coerce.number().int().min(0).max(65_536).default(64),
  /** Express "trust proxy" (hop count, "loopback", subnets…): which X-Forwarded-For hops name the client; unset trusts none. */
  TRUST_PROXY: z.string().optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  /** The operator credential that manages tenants; unset means tenant management only via the CLI. */
  OPERATOR_TOKEN: z.string().min(32, 'must be at least 32 characters').optional(),
  /** Attempts per webhook delivery before it is FAILED (the first included). */
  WEBHOOK_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(50).default(10),
  /** Wait after a delivery's first failed attempt; doubled after each further one (capped at 6 h). */
  WEBHOOK_BACKOFF_MS: z.coerce.number().int().min(10).default(30_000),
  /** Deadline of one webhook request, from connecting to the end of the answer. */
  WEBHOOK_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(10_000),
  /** Allow webhooks to loopback, private and link-local addresses (receivers on the deployment's own network). */
  WEBHOOK_ALLOW_PRIVATE_DESTINATIONS: z.enum(['true', 'false']).default('false'),
  /** 32 bytes, base64: webhook signing secrets are stored encrypted with it (AES-256-GCM). */
  WEBHOOK_SECRET_KEY: z
    .string()
    .refine((v) => /^[A-Za-z0-9+/]{43}=$/.test(v), 'must be 32 bytes in base64 (e.g. `openssl rand -base64 32`)')
    .optional(),
  /** A credential that may only scrape /metrics (the operator credential may too), for the Prometheus configuration. */
  METRICS_TOKEN: z.string().min(32, 'must be at least 32 characters').optional(),
  /** A listener of its own for /metrics (every role: the only way to scrape a worker process); unset: none. */
  METRICS_PORT: port.optional(),
  /** Where that listener binds; unset: HOST. */
  METRICS_HOST: z.string().optional(),
  /** "none": the METRICS_PORT listener answers without a credential (for an interface only the scraper reaches). */
  METRICS_AUTH: z.enum(['token', 'none']).default('token'),
  /** Tenants named in the per-tenant upload gauges (the busiest); the rest are summed as one series. */
  METRICS_TENANT_LIMIT: z.coerce.number().int().min(0).max(1_000).default(50),
  /** The queue board (/admin/queues) shows queues and jobs but cannot retry, remove, pause or add jobs. */
  QUEUE_BOARD_READ_ONLY: z.enum(['true', 'false']).default('false'),
}).refine((c) => c.METRICS_AUTH === 'token' || c.METRICS_PORT !== undefined, {
  path: ['METRICS_AUTH'],
  message: '"none" needs METRICS_PORT: /metrics on the API port always requires a credential',
})

export type Config = Readonly<{
  databaseUrl: string
  /** Null: keep the login user. */
  databaseAppRole: string | null
  redisUrl: string
  port: number
  host: string
  queuePrefix: string
  workerConcurrency: number
  workerLockDurationMs: number
  uploadProgressIntervalMs: number
  reconcileIntervalMs: number
  retentionSweepIntervalMs: number
  shutdownGraceMs: number
  maxUploadBytes: number
  maxDecompressedBytes: number
  /** 0: no ratio limit. */
  maxGzipRatio: number
  /** 0: unlimited. */
  rateLimitPerMinute: number
  /** 0: unlimited. */
  rateLimitUnauthenticatedPerMinute: number
  /** Rows per query of an export (1..100,000). */
  exportBatchRows: number
  /** Bytes of the GraphQL response cache; 0: off. */
  graphqlResponseCacheBytes: number
  /** Express's `trust proxy` setting; false trusts no proxy (the socket's address is the client). */
  trustProxy: boolean | number | string
  logLevel: z.infer<typeof schema>['LOG_LEVEL']
  production: boolean
  operatorToken: string | null
  webhookMaxAttempts: number
  webhookBackoffMs: number
  webhookTimeoutMs: number
  webhookAllowPrivateDestinations: boolean
  /** Null: webhook secrets are stored as they are. */
  webhookSecretKey: Buffer | null
  /** Accepted besides the operator credential on /metrics, and nowhere else. */
  metricsToken: string | null
  /** Null: no listener of its own (the API still serves /metrics on its port). */
  metricsPort: number | null
  metricsHost: string
  /** Whether the METRICS_PORT listener asks for a credential; /metrics on the API port always does. */
  metricsPortAuth: 'token' | 'none'
  metricsTenantLimit: number
  queueBoardReadOnly: boolean
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
    databaseAppRole: c.DATABASE_APP_ROLE === 'none' ? null : c.DATABASE_APP_ROLE,
    redisUrl: c.REDIS_URL,
    port: c.PORT,
    host: c.HOST,
    queuePrefix: c.QUEUE_PREFIX,
    workerConcurrency: c.WORKER_CONCURRENCY,
    workerLockDurationMs: c.WORKER_LOCK_DURATION_MS,
    uploadProgressIntervalMs: c.UPLOAD_PROGRESS_INTERVAL_MS,
    reconcileIntervalMs: c.RECONCILE_INTERVAL_MS,
    retentionSweepIntervalMs: c.RETENTION_SWEEP_INTERVAL_MS,
    shutdownGraceMs: c.SHUTDOWN_GRACE_MS,
    maxUploadBytes: c.MAX_UPLOAD_BYTES,
    maxDecompressedBytes: c.MAX_DECOMPRESSED_BYTES,
    maxGzipRatio: c.MAX_GZIP_RATIO,
    rateLimitPerMinute: c.RATE_LIMIT_PER_MINUTE,
    rateLimitUnauthenticatedPerMinute: c.RATE_LIMIT_UNAUTHENTICATED_PER_MINUTE,
    exportBatchRows: c.EXPORT_BATCH_ROWS,
    graphqlResponseCacheBytes: c.GRAPHQL_RESPONSE_CACHE_MB * 1024 * 1024,
    trustProxy: trustProxySetting(c.TRUST_PROXY),
    logLevel: c.LOG_LEVEL,
    production: c.NODE_ENV === 'production',
    operatorToken: c.OPERATOR_TOKEN ?? null,
    webhookMaxAttempts: c.WEBHOOK_MAX_ATTEMPTS,
    webhookBackoffMs: c.WEBHOOK_BACKOFF_MS,
    webhookTimeoutMs: c.WEBHOOK_TIMEOUT_MS,
    webhookAllowPrivateDestinations: c.WEBHOOK_ALLOW_PRIVATE_DESTINATIONS === 'true',
    webhookSecretKey: c.WEBHOOK_SECRET_KEY === undefined ? null : Buffer.from(c.WEBHOOK_SECRET_KEY, 'base64'),
    metricsToken: c.METRICS_TOKEN ?? null,
    metricsPort: c.METRICS_PORT ?? null,
    metricsHost: c.METRICS_HOST ?? c.HOST,
    metricsPortAuth: c.METRICS_AUTH,
    metricsTenantLimit: c.METRICS_TENANT_LIMIT,
    queueBoardReadOnly: c.QUEUE_BOARD_READ_ONLY === 'true',
  })
}

/** "true"/"false", a hop count, or Express's names and subnets ("loopback", "10.0.0.0/8, 127.0.0.1"). */
function trustProxySetting(value: string | undefined): boolean | number | string {
  if (value === undefined || value === 'false') return false
  if (value === 'true') return true
  return /^\d+$/.test(value) ? Number(value) : value
}
