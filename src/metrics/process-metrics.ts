import { collectDefaultMetrics, Registry } from 'prom-client'

/**
 * prom-client's Node.js and process metrics (CPU, memory, heap, event-loop lag, GC, handles),
 * under their usual names (process_*, nodejs_*) so stock dashboards work. Once per process: each
 * collection starts an event-loop monitor and a GC observer that cannot be stopped.
 */
let registry: Registry | null = null

export function processMetricsRegistry(): Registry {
  if (registry === null) {
    registry = new Registry()
    collectDefaultMetrics({ register: registry })
  }
  return registry
}
