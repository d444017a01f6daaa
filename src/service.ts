import { once } from 'node:events'
import type { AddressInfo } from 'node:net'
import http from 'node:http'
import type { Worker } from 'bullmq'
import type { Logger } from 'pino'
import { startMaintenance, type RunningMaintenance } from '../jobs/maintenance-worker.js'
import { startScanWorker } from '../jobs/scan-worker.js'
import { startUploadWorker } from '../jobs/upload-worker.js'
import { startWebhookWorker } from '../jobs/webhook-worker.js'
import type { Config } from './config.js'
import { createPool } from './db/pool.js'
import { createPrisma } from './db/prisma.js'
import type { AppDeps } from './graphql/context.js'
import { drainable, type HttpDrain } from './http/http-drain.js'
import type { GraphQLWebSocket } from './http/graphql-websocket.js'
import type { LiveHub } from './live/live-hub.js'
import { createLivePublisher, type LivePublisher } from './live/live-publisher.js'
import { closeWorker } from './queue/close-worker.js'
import { createUploadQueue } from './queue/queues.js'
import { createScanQueue, syncScanSchedulers } from './queue/scan-queue.js'
import { createMaintenanceQueue } from './queue/maintenance-queue.js'
import { createMetrics } from './metrics/metrics.js'
import { startMetricsServer, type MetricsServer } from './metrics/metrics-server.js'
import { registerPoolGauges } from './metrics/pool-gauges.js'
import { registerQueueGauges } from './metrics/queue-gauges.js'
import { withSystemScope } from './db/db-scope.js'
import { allScanSchedules } from './store/scan-schedules.js'
import { startReconciler, type RunningReconciler } from './queue/reconciler.js'
import { unfinishedWork } from './queue/unfinished-work.js'
import { createWebhookQueue } from './queue/webhook-queue.js'
import { deliverySettings } from './webhooks/deliver-webhook.js'
import { startOutboxRelay, type OutboxRelay } from './webhooks/outbox-relay.js'
import { scanSchedulers } from './queue/unfinished-scans.js'
import { createRedisRateLimiter, type RateLimiter } from './rate-limit/redis-rate-limiter.js'
import { listenForTenantDataChanges, type TenantDataVersions } from './graphql/response-cache/tenant-data-versions.js'

/**
 * Starts the API, the worker, or both in one process, over one pool and one Prisma client, and
 * stops them in the right order: stop taking requests and jobs, let running ones finish within
 * SHUTDOWN_GRACE_MS (then cut the requests and hand the jobs back to the queue), then close the
 * connections.
 */

/** How long the API keeps an idle kept-alive connection open. */
export const HTTP_KEEP_ALIVE_MS = 65_000

export interface RunningService {
  /** What the API serves (`METHOD /path`, see http/routes.ts); empty without the API. */
  routes: readonly string[]
  /** The API's base URL, when the API runs. */
  url: string | null
  /** The METRICS_PORT listener's /metrics URL, when METRICS_PORT is set. */
  metricsUrl: string | null
  /** Stops gracefully (see above); resolves once every connection is closed. */
  close(): Promise<void>
}

export async function startService(config: Config, log: Logger, roles: { api: boolean; worker: boolean }): Promise<RunningService> {
  const pool = createPool(config.databaseUrl, { max: roles.api ? 20 : 10, appRole: config.databaseAppRole })
  const prisma = createPrisma(pool)
  const uploadQueue = createUploadQueue(config.redisUrl, config.queuePrefix)
  const scanQueue = createScanQueue(config.redisUrl, config.queuePrefix)
  const webhookQueue = createWebhookQueue(config.redisUrl, config.queuePrefix)
  const deps: AppDeps = { config, pool, prisma, uploadQueue, scanQueue, webhookQueue }
  const metrics = createMetrics()
  registerPoolGauges(metrics, pool)
  // The API shows every queue (metrics, board); a worker opens the maintenance queue itself.
  const maintenanceQueue = roles.api ? createMaintenanceQueue(config.redisUrl, config.queuePrefix) : null
  // Without a listener, a lost Redis connection prints raw stack traces; the reconciler and the
  // routes' bounded waits handle the outage itself.
  for (const queue of [uploadQueue, scanQueue, webhookQueue, maintenanceQueue]) {
    queue?.on('error', (err: Error) => log.warn({ queue: queue.name, err: err.message }, 'queue connection error'))
  }
  let metricsServer: MetricsServer | null = null
  let server: http.Server | null = null
  let drain: HttpDrain | null = null
  let routes: string[] = []
  let stopApollo: (() => Promise<void>) | null = null
  let subscriptions: GraphQLWebSocket | null = null
  let liveHub: LiveHub | null = null
  let livePublisher: LivePublisher | null = null
  let limiter: RateLimiter | null = null
  let responseCacheVersions: TenantDataVersions | null = null
  let worker: Worker | null = null
  let scanWorker: Worker | null = null
  let maintenance: RunningMaintenance | null = null
  let reconciler: RunningReconciler | null = null
  let webhookWorker: Worker | null = null
  let relay: OutboxRelay | null = null
  if (roles.api) {
    // Loaded only by processes that serve HTTP: a worker needs neither Apollo nor Express.
    const [{ createApolloServer }, { createApp }, { describeRoutes }, { serveGraphQLOverWebSocket }, { createLiveHub }] = await Promise.all([
      import('./graphql/server.js'),
      import('./http/app.js'),
      import('./http/routes.js'),
      import('./http/graphql-websocket.js'),
      import('./live/live-hub.js'),
    ])
    // Cached answers are only as fresh as the changes this process hears of: its own listener.
    responseCacheVersions = config.graphqlResponseCacheBytes > 0 ? listenForTenantDataChanges({ databaseUrl: config.databaseUrl, log }) : null
    const responseCache = responseCacheVersions ? { versions: responseCacheVersions, maxBytes: config.graphqlResponseCacheBytes } : null
    const apollo = createApolloServer({ production: config.production, log, metrics, responseCache })
    await apollo.start()
    stopApollo = () => apollo.stop()
    limiter = createRedisRateLimiter({ redisUrl: config.redisUrl, prefix: config.queuePrefix, log })
    const queues = [uploadQueue, scanQueue, webhookQueue, maintenanceQueue!]
    registerQueueGauges(metrics, { queues, pool, tenantLimit: config.metricsTenantLimit })
    const app = createApp(deps, apollo, log, limiter, { metrics, queues })
    routes = describeRoutes(app)
    server = http.createServer(app)
    // Longer than the idle timeout of load balancers and client connection pools (often 60 s):
    // with Node's 5 s, a client may send a request on a kept-alive connection just as the server
    // closes it, and gets a reset instead of an answer (the load test saw several a minute).
    server.keepAliveTimeout = HTTP_KEEP_ALIVE_MS
    drain = drainable(server)
    // Subscriptions: WebSocket upgrades of /graphql, fed by the workers through Redis (src/live).
    liveHub = createLiveHub({ redisUrl: config.redisUrl, prefix: config.queuePrefix, log })
    subscriptions = serveGraphQLOverWebSocket(server, { deps, live: liveHub, limiter, log, production: config.production })
    server.listen(config.port, config.host)
    await once(server, 'listening')
  }
  if (roles.worker) {
    const gzipLimits = { maxDecompressedBytes: config.maxDecompressedBytes, maxDecompressionRatio: config.maxGzipRatio }
    livePublisher = createLivePublisher({ redisUrl: config.redisUrl, prefix: config.queuePrefix, log })
    worker = startUploadWorker({ pool, prisma, redisUrl: config.redisUrl, prefix: config.queuePrefix, concurrency: config.workerConcurrency, lockDurationMs: config.workerLockDurationMs, log, gzipLimits, metrics, live: livePublisher, progressIntervalMs: config.uploadProgressIntervalMs })
    await worker.waitUntilReady()
    // Scans run beside uploads, one at a time per process: each is one heavy query per rule.
    scanWorker = startScanWorker({ pool, prisma, redisUrl: config.redisUrl, prefix: config.queuePrefix, concurrency: 1, log, metrics, live: livePublisher })
    await scanWorker.waitUntilReady()
    webhookWorker = startWebhookWorker({ pool, redisUrl: config.redisUrl, prefix: config.queuePrefix, settings: deliverySettings(config), log })
    await webhookWorker.waitUntilReady()
    // Webhook deliveries are written in the transactions of upload and scan jobs: a completed job
    // has committed, so its deliveries are enqueued then (and on an interval, after a crash).
    const outbox = startOutboxRelay({ pool, queue: webhookQueue, intervalMs: WEBHOOK_RELAY_INTERVAL_MS, log })
    relay = outbox
    worker.on('completed', () => outbox.wake())
    scanWorker.on('completed', () => outbox.wake())
    // The schedules in Postgres are the truth: Redis gets exactly their job schedulers back. Not
    // fatal: without Postgres now, the reconciler restores them once it answers (scanSchedulers).
    await withSystemScope(() => allScanSchedules(pool))
      .then((schedules) => syncScanSchedulers(scanQueue, schedules))
      .catch((err: unknown) => log.warn({ err: (err as Error).message }, 'scan schedules not synchronised at start; the reconciler will restore them'))
    maintenance = await startMaintenance({ pool, redisUrl: config.redisUrl, prefix: config.queuePrefix, retentionSweepIntervalMs: config.retentionSweepIntervalMs, log, metrics })
    // Postgres is the truth: unfinished work that Redis has no job for is enqueued again.
    reconciler = startReconciler({ work: unfinishedWork(pool, { uploads: uploadQueue, scans: scanQueue, webhookDeliveries: webhookQueue }), recurring: [...maintenance.recurring, scanSchedulers(pool, scanQueue)], intervalMs: config.reconcileIntervalMs, log })
  }
  // Last, so a scrape that succeeds means the process is up.
  if (config.metricsPort !== null) metricsServer = await startMetricsServer(deps, metrics, log)
  const address = server?.address() as AddressInfo | null
  const url = address ? `http://${config.host === '0.0.0.0' ? '127.0.0.1' : config.host}:${address.port}` : null
  const metricsUrl = metricsServer?.url ?? null
  log.info({ url, metricsUrl, api: roles.api, worker: roles.worker }, 'watchpost started')
  return {
    url,
    metricsUrl,
    routes,
    async close() {
      await reconciler?.close()
      await relay?.close()
      const started = performance.now()
      // Requests and jobs stop together, so the grace period bounds the whole stop.
      const [requests, jobs] = await Promise.all([drain?.drain(config.shutdownGraceMs), worker ? closeWorker(worker, config.shutdownGraceMs) : undefined, scanWorker ? closeWorker(scanWorker, config.shutdownGraceMs) : undefined, webhookWorker ? closeWorker(webhookWorker, config.shutdownGraceMs) : undefined, maintenance?.close(), subscriptions?.close(Math.min(config.shutdownGraceMs, SUBSCRIPTIONS_CLOSE_WAIT_MS))])
      await metricsServer?.close()
      await stopApollo?.()
      await responseCacheVersions?.close()
      await limiter?.close()
      await liveHub?.close()
      await livePublisher?.close()
      await uploadQueue.close()
      await scanQueue.close()
      await webhookQueue.close()
      await maintenanceQueue?.close()
      await prisma.$disconnect()
      await pool.end()
      log.info({ ms: Math.round(performance.now() - started), requestsCut: requests?.cut ?? 0, jobsHandedBack: jobs?.cancelled ?? false }, 'watchpost stopped')
    },
  }
}

/** How long subscribers get to answer the close of their WebSocket before it is cut. */
const SUBSCRIPTIONS_CLOSE_WAIT_MS = 2_000

/** How often each worker process looks for webhook deliveries no completed job has announced. */
const WEBHOOK_RELAY_INTERVAL_MS = 5_000

/** How long after the grace period a stop may take (closing pools and Redis) before the process gives up. */
const STOP_MARGIN_MS = 10_000

/**
 * Runs until SIGTERM/SIGINT, then shuts down gracefully and exits 0 once nothing is left open:
 * the exit itself shows that every connection was closed. A second signal exits at once (1); so
 * does a stop that outlasts the grace period by STOP_MARGIN_MS, naming what was still open.
 */
export function closeOnSignals(service: RunningService, log: Logger, graceMs: number): void {
  let stopping = false
  const stop = (signal: string): void => {
    if (stopping) {
      log.warn({ signal }, 'second signal: exiting without finishing the shutdown')
      process.exit(1)
    }
    stopping = true
    log.info({ signal, graceMs }, 'shutting down')
    // unref: the deadline alone must not keep the process alive once everything else is closed.
    setTimeout(() => {
      log.error({ afterMs: graceMs + STOP_MARGIN_MS, stillOpen: process.getActiveResourcesInfo() }, 'shutdown did not finish in time; exiting')
      process.exit(1)
    }, graceMs + STOP_MARGIN_MS).unref()
    service.close().then(
      () => {
        process.exitCode = 0
      },
      (err) => {
        log.error({ err }, 'shutdown failed')
        process.exit(1)
      },
    )
  }
  process.on('SIGTERM', () => stop('SIGTERM'))
  process.on('SIGINT', () => stop('SIGINT'))
}
