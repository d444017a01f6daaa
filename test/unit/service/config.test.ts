import { describe, expect, it } from 'vitest'
import { ConfigError, loadConfig } from '../../../src/config.js'

describe('loadConfig', () => {
  it('defaults to the local services', () => {
    expect(loadConfig({})).toEqual({
      databaseUrl: 'postgresql://postgres@127.0.0.1:5432/watchpost',
      databaseAppRole: 'watchpost_app',
      redisUrl: 'redis://127.0.0.1:6379',
      port: 4000,
      host: '0.0.0.0',
      queuePrefix: 'watchpost',
      workerConcurrency: 2,
      workerLockDurationMs: 30_000,
      uploadProgressIntervalMs: 1_000,
      reconcileIntervalMs: 60_000,
      retentionSweepIntervalMs: 3_600_000,
      shutdownGraceMs: 20_000,
      maxUploadBytes: 5 * 1024 ** 3,
      maxDecompressedBytes: 4 * 1024 ** 3,
      maxGzipRatio: 100,
      rateLimitPerMinute: 600,
      rateLimitUnauthenticatedPerMinute: 60,
      exportBatchRows: 1000,
      graphqlResponseCacheBytes: 64 * 1024 * 1024,
      trustProxy: false,
      logLevel: 'info',
      production: false,
      operatorToken: null,
      metricsToken: null,
      metricsPort: null,
      metricsHost: '0.0.0.0',
      metricsPortAuth: 'token',
      metricsTenantLimit: 50,
      queueBoardReadOnly: false,
      webhookMaxAttempts: 10,
      webhookBackoffMs: 30_000,
      webhookTimeoutMs: 10_000,
      webhookAllowPrivateDestinations: false,
      webhookSecretKey: null,
    })
  })

  it('reads the webhook settings; the secret key must be 32 bytes of base64', () => {
    const key = Buffer.alloc(32, 7).toString('base64')
    const c = loadConfig({ WEBHOOK_MAX_ATTEMPTS: '3', WEBHOOK_BACKOFF_MS: '50', WEBHOOK_TIMEOUT_MS: '2000', WEBHOOK_ALLOW_PRIVATE_DESTINATIONS: 'true', WEBHOOK_SECRET_KEY: key })
    expect(c).toMatchObject({ webhookMaxAttempts: 3, webhookBackoffMs: 50, webhookTimeoutMs: 2_000, webhookAllowPrivateDestinations: true })
    expect(c.webhookSecretKey).toEqual(Buffer.alloc(32, 7))
    expect(() => loadConfig({ WEBHOOK_SECRET_KEY: Buffer.alloc(16).toString('base64') })).toThrow(/WEBHOOK_SECRET_KEY: must be 32 bytes in base64/)
    expect(() => loadConfig({ WEBHOOK_ALLOW_PRIVATE_DESTINATIONS: 'yes' })).toThrow(/WEBHOOK_ALLOW_PRIVATE_DESTINATIONS/)
    expect(() => loadConfig({ WEBHOOK_MAX_ATTEMPTS: '0' })).toThrow(/WEBHOOK_MAX_ATTEMPTS/)
    expect(() => loadConfig({ WEBHOOK_TIMEOUT_MS: '60001' })).toThrow(/WEBHOOK_TIMEOUT_MS/)
  })

  it('reads and converts the environment, treating empty values as unset', () => {
    const c = loadConfig({ PORT: '8080', WORKER_CONCURRENCY: '4', NODE_ENV: 'production', REDIS_URL: '', QUEUE_PREFIX: 'tenant-x' })
    expect(c).toMatchObject({ port: 8080, workerConcurrency: 4, production: true, redisUrl: 'redis://127.0.0.1:6379', queuePrefix: 'tenant-x' })
    expect(Object.isFrozen(c)).toBe(true)
  })

  it('reads the application role; "none" keeps the login user; a name that is not an identifier is refused', () => {
    expect(loadConfig({ DATABASE_APP_ROLE: 'tenant_app' }).databaseAppRole).toBe('tenant_app')
    expect(loadConfig({ DATABASE_APP_ROLE: 'none' }).databaseAppRole).toBeNull()
    expect(() => loadConfig({ DATABASE_APP_ROLE: 'x; DROP ROLE y' })).toThrow(/DATABASE_APP_ROLE/)
  })

  it('reads the retention sweep interval, one second at least', () => {
    expect(loadConfig({ RETENTION_SWEEP_INTERVAL_MS: '60000' }).retentionSweepIntervalMs).toBe(60_000)
    expect(() => loadConfig({ RETENTION_SWEEP_INTERVAL_MS: '10' })).toThrow(/RETENTION_SWEEP_INTERVAL_MS/)
  })

  it('reads the job lock duration (one second at least) and the reconcile interval (100 ms at least)', () => {
    expect(loadConfig({ WORKER_LOCK_DURATION_MS: '5000', RECONCILE_INTERVAL_MS: '500' })).toMatchObject({ workerLockDurationMs: 5_000, reconcileIntervalMs: 500 })
    expect(() => loadConfig({ WORKER_LOCK_DURATION_MS: '999' })).toThrow(/WORKER_LOCK_DURATION_MS/)
    expect(() => loadConfig({ RECONCILE_INTERVAL_MS: '99' })).toThrow(/RECONCILE_INTERVAL_MS/)
  })

  it('reads how often a running upload reports its progress (100 ms to 60 s)', () => {
    expect(loadConfig({ UPLOAD_PROGRESS_INTERVAL_MS: '250' }).uploadProgressIntervalMs).toBe(250)
    expect(() => loadConfig({ UPLOAD_PROGRESS_INTERVAL_MS: '99' })).toThrow(/UPLOAD_PROGRESS_INTERVAL_MS/)
    expect(() => loadConfig({ UPLOAD_PROGRESS_INTERVAL_MS: '60001' })).toThrow(/UPLOAD_PROGRESS_INTERVAL_MS/)
  })

  it('reads the shutdown grace period; 0 hands running jobs back at once', () => {
    expect(loadConfig({ SHUTDOWN_GRACE_MS: '0' }).shutdownGraceMs).toBe(0)
    expect(loadConfig({ SHUTDOWN_GRACE_MS: '45000' }).shutdownGraceMs).toBe(45_000)
    expect(() => loadConfig({ SHUTDOWN_GRACE_MS: '-1' })).toThrow(/SHUTDOWN_GRACE_MS/)
  })

  it('reads the export batch size: 1 to 100,000 rows', () => {
    expect(loadConfig({ EXPORT_BATCH_ROWS: '7' }).exportBatchRows).toBe(7)
    expect(loadConfig({ GRAPHQL_RESPONSE_CACHE_MB: '0' }).graphqlResponseCacheBytes).toBe(0)
    expect(() => loadConfig({ GRAPHQL_RESPONSE_CACHE_MB: '-1' })).toThrow(/GRAPHQL_RESPONSE_CACHE_MB/)
    expect(() => loadConfig({ EXPORT_BATCH_ROWS: '0' })).toThrow(/EXPORT_BATCH_ROWS/)
    expect(() => loadConfig({ EXPORT_BATCH_ROWS: '100001' })).toThrow(/EXPORT_BATCH_ROWS/)
  })

  it('reads the request and decompression limits; 0 turns a rate or ratio limit off', () => {
    const c = loadConfig({ RATE_LIMIT_PER_MINUTE: '0', RATE_LIMIT_UNAUTHENTICATED_PER_MINUTE: '5', MAX_GZIP_RATIO: '0', MAX_DECOMPRESSED_BYTES: '1000' })
    expect(c).toMatchObject({ rateLimitPerMinute: 0, rateLimitUnauthenticatedPerMinute: 5, maxGzipRatio: 0, maxDecompressedBytes: 1000 })
    expect(() => loadConfig({ RATE_LIMIT_PER_MINUTE: '-1' })).toThrow(/RATE_LIMIT_PER_MINUTE/)
    expect(() => loadConfig({ MAX_DECOMPRESSED_BYTES: '0' })).toThrow(/MAX_DECOMPRESSED_BYTES/)
    expect([undefined, 'false', 'true', '2', 'loopback, 10.0.0.0/8'].map((v) => loadConfig({ TRUST_PROXY: v }).trustProxy)).toEqual([false, false, true, 2, 'loopback, 10.0.0.0/8'])
  })

  it('requires a long operator token when one is set', () => {
    expect(() => loadConfig({ OPERATOR_TOKEN: 'short' })).toThrow(/OPERATOR_TOKEN: must be at least 32 characters/)
    expect(loadConfig({ OPERATOR_TOKEN: 'o'.repeat(32) }).operatorToken).toBe('o'.repeat(32))
  })

  it('reads the metrics settings: a long scrape token, a listener of its own (on HOST unless METRICS_HOST), the tenant series limit', () => {
    const c = loadConfig({ HOST: '10.0.0.5', METRICS_TOKEN: 'm'.repeat(32), METRICS_PORT: '9464', METRICS_TENANT_LIMIT: '0', QUEUE_BOARD_READ_ONLY: 'true' })
    expect(c).toMatchObject({ metricsToken: 'm'.repeat(32), metricsPort: 9464, metricsHost: '10.0.0.5', metricsPortAuth: 'token', metricsTenantLimit: 0, queueBoardReadOnly: true })
    expect(loadConfig({ METRICS_PORT: '9464', METRICS_HOST: '127.0.0.1' }).metricsHost).toBe('127.0.0.1')
    expect(() => loadConfig({ METRICS_TOKEN: 'short' })).toThrow(/METRICS_TOKEN: must be at least 32 characters/)
    expect(() => loadConfig({ METRICS_TENANT_LIMIT: '1001' })).toThrow(/METRICS_TENANT_LIMIT/)
    expect(() => loadConfig({ QUEUE_BOARD_READ_ONLY: 'yes' })).toThrow(/QUEUE_BOARD_READ_ONLY/)
  })

  it('lets only the METRICS_PORT listener answer without a credential', () => {
    expect(loadConfig({ METRICS_PORT: '9464', METRICS_AUTH: 'none' }).metricsPortAuth).toBe('none')
    expect(() => loadConfig({ METRICS_AUTH: 'none' })).toThrow(/METRICS_AUTH: "none" needs METRICS_PORT/)
    expect(() => loadConfig({ METRICS_PORT: '9464', METRICS_AUTH: 'open' })).toThrow(/METRICS_AUTH/)
  })

  it('names every invalid variable', () => {
    const attempt = () => loadConfig({ PORT: '99999', DATABASE_URL: 'nope', LOG_LEVEL: 'loud' })
    expect(attempt).toThrow(ConfigError)
    expect(attempt).toThrow(/PORT.*DATABASE_URL|DATABASE_URL.*PORT/)
    expect(attempt).toThrow(/LOG_LEVEL/)
  })
})
