import type { Queue } from 'bullmq'
import { Gauge } from 'prom-client'
import type pg from 'pg'
import { withSystemScope } from '../db/db-scope.js'
import { cachedRead } from './cached-read.js'
import type { Metrics } from './metrics.js'

/**
 * Gauges of the work waiting, read when scraped: BullMQ's job counts per queue and state (Redis),
 * and the uploads waiting or running per tenant (Postgres, the source of truth for uploads). They
 * describe the whole deployment, not this process, so only API processes export them; with
 * several, aggregate with max(), not sum().
 */

/** BullMQ's states. Upload jobs all carry a priority (queue/fair-priority.ts): they wait in `prioritized`, not `waiting`. */
export const JOB_STATES = ['waiting', 'prioritized', 'active', 'delayed', 'waiting-children', 'failed', 'completed'] as const

/** Label of the tenants beyond the limit, summed into one series; not a valid tenant name (tenants.ts). */
export const OTHER_TENANTS = '(other)'

/** A scrape sees values at most this old… */
const MAX_AGE_MS = 5_000
/** …and gives a source up after this long (the gauge is then left out of that scrape). */
const TIMEOUT_MS = 2_000

export interface QueueGaugeSources {
  readonly queues: readonly Queue[]
  readonly pool: pg.Pool
  /** Tenants named in the per-tenant series (the busiest); 0 keeps only the total. */
  readonly tenantLimit: number
}

export function registerQueueGauges(metrics: Metrics, sources: QueueGaugeSources): void {
  const registers = [metrics.registry]
  const jobCounts = cachedRead(
    () => Promise.all(sources.queues.map(async (q) => ({ queue: q.name, counts: await q.getJobCounts(...JOB_STATES), paused: await q.isPaused() }))),
    { maxAgeMs: MAX_AGE_MS, timeoutMs: TIMEOUT_MS },
  )
  const uploads = cachedRead(() => withSystemScope(() => pendingUploads(sources.pool, sources.tenantLimit)), { maxAgeMs: MAX_AGE_MS, timeoutMs: TIMEOUT_MS })

  const queueJobs: Gauge<'queue' | 'state'> = new Gauge({
    name: 'watchpost_queue_jobs',
    help: 'Jobs in each BullMQ queue (uploads, scans, maintenance) by state; waiting uploads are in "prioritized".',
    labelNames: ['queue', 'state'],
    registers,
    collect: async () => {
      queueJobs.reset()
      const counts = await jobCounts().catch(() => metrics.collectErrors.inc({ source: 'redis' }))
      for (const { queue, counts: byState } of counts ?? []) for (const state of JOB_STATES) queueJobs.set({ queue, state }, byState[state] ?? 0)
    },
  })
  const queuePaused: Gauge<'queue'> = new Gauge({
    name: 'watchpost_queue_paused',
    help: '1 while a queue is paused (from the queue board): its workers take no new jobs.',
    labelNames: ['queue'],
    registers,
    collect: async () => {
      queuePaused.reset()
      const counts = await jobCounts().catch(() => undefined)
      for (const { queue, paused } of counts ?? []) queuePaused.set({ queue }, paused ? 1 : 0)
    },
  })
  const tenantUploads: Gauge<'tenant' | 'status'> = new Gauge({
    name: 'watchpost_tenant_uploads',
    help: `Uploads waiting (queued) or being processed (running) per tenant name: the busiest METRICS_TENANT_LIMIT tenants, the others summed as tenant="${OTHER_TENANTS}". A tenant with none has no series.`,
    labelNames: ['tenant', 'status'],
    registers,
    collect: async () => {
      tenantUploads.reset()
      const pending = await uploads().catch(() => metrics.collectErrors.inc({ source: 'postgres' }))
      if (!pending) return
      for (const t of pending.tenants) {
        tenantUploads.set({ tenant: t.tenant, status: 'queued' }, t.queued)
        tenantUploads.set({ tenant: t.tenant, status: 'running' }, t.running)
      }
      const named = (key: 'queued' | 'running'): number => pending.tenants.reduce((sum, t) => sum + t[key], 0)
      if (pending.queued > named('queued') || pending.running > named('running')) {
        tenantUploads.set({ tenant: OTHER_TENANTS, status: 'queued' }, pending.queued - named('queued'))
        tenantUploads.set({ tenant: OTHER_TENANTS, status: 'running' }, pending.running - named('running'))
      }
    },
  })
  const oldestQueued: Gauge = new Gauge({
    name: 'watchpost_oldest_queued_upload_age_seconds',
    help: 'Age of the oldest upload still queued (0 when none waits): how far behind the workers are.',
    registers,
    collect: async () => {
      oldestQueued.reset()
      const pending = await uploads().catch(() => undefined)
      if (pending) oldestQueued.set(pending.oldestQueuedSeconds)
    },
  })
}

interface PendingUploads {
  tenants: { tenant: string; queued: number; running: number }[]
  /** Over every tenant. */
  queued: number
  running: number
  oldestQueuedSeconds: number
}

/**
 * One bounded query: the pending uploads grouped by tenant, the busiest `limit` tenants with
 * their names, and the totals over all of them (window sums are taken before the LIMIT).
 */
async function pendingUploads(pool: pg.Pool, limit: number): Promise<PendingUploads> {
  const { rows } = await pool.query<{ tenant: string | null; queued: number; running: number; all_queued: number; all_running: number; oldest_seconds: number }>(
    `WITH pending AS (
       SELECT tenant_id, count(*) FILTER (WHERE status = 'QUEUED')::int AS queued, count(*) FILTER (WHERE status = 'RUNNING')::int AS running,
              min(created_at) FILTER (WHERE status = 'QUEUED') AS oldest
       FROM uploads WHERE status IN ('QUEUED', 'RUNNING') GROUP BY tenant_id
     ), ranked AS (
       SELECT p.*, sum(queued) OVER ()::int AS all_queued, sum(running) OVER ()::int AS all_running,
              coalesce(extract(epoch FROM clock_timestamp() - min(oldest) OVER ()), 0)::float8 AS oldest_seconds,
              row_number() OVER (ORDER BY queued + running DESC, tenant_id) AS rank
       FROM pending p
     )
     SELECT CASE WHEN r.rank <= $1 THEN t.name END AS tenant, r.queued, r.running, r.all_queued, r.all_running, r.oldest_seconds
     FROM ranked r LEFT JOIN tenants t ON t.id = r.tenant_id AND r.rank <= $1
     ORDER BY r.rank LIMIT greatest($1, 1)`,
    [limit],
  )
  const first = rows[0]
  return {
    tenants: rows.filter((r): r is typeof r & { tenant: string } => r.tenant !== null),
    queued: first?.all_queued ?? 0,
    running: first?.all_running ?? 0,
    oldestQueuedSeconds: first?.oldest_seconds ?? 0,
  }
}
