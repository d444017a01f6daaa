import { Gauge } from 'prom-client'
import type pg from 'pg'
import type { Metrics } from './metrics.js'

/** The pool's connections: in use, idle, the maximum, and checkouts waiting for one (a pool too small shows here first). */
export function registerPoolGauges(metrics: Metrics, pool: pg.Pool): void {
  const registers = [metrics.registry]
  const connections: Gauge<'state'> = new Gauge({
    name: 'watchpost_db_pool_connections',
    help: 'Postgres connections of this process’s pool, by state (in_use, idle).',
    labelNames: ['state'],
    registers,
    collect: () => {
      connections.set({ state: 'idle' }, pool.idleCount)
      connections.set({ state: 'in_use' }, pool.totalCount - pool.idleCount)
    },
  })
  const max: Gauge = new Gauge({ name: 'watchpost_db_pool_max_connections', help: 'Most connections this process’s pool opens.', registers, collect: () => max.set(pool.options.max ?? 10) })
  const waiting: Gauge = new Gauge({ name: 'watchpost_db_pool_waiting_checkouts', help: 'Queries waiting for a free pool connection.', registers, collect: () => waiting.set(pool.waitingCount) })
}
