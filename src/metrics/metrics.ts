import { Counter, Histogram, Registry } from 'prom-client'
import { processMetricsRegistry } from './process-metrics.js'

/**
 * The service's Prometheus metrics, one set per running service (src/service.ts), exposed at
 * /metrics (http/metrics-route.ts, metrics-server.ts). Counters only ever grow within a process;
 * rates come from PromQL (README, *Operations*). Labels hold bounded sets only — routes as
 * declared, not paths; GraphQL root fields of the schema, not client-chosen operation names;
 * error codes; queue names — so no caller can make the series grow without end.
 */

export interface Metrics {
  readonly registry: Registry
  readonly httpRequests: Counter<'method' | 'route' | 'status'>
  readonly httpDuration: Histogram<'method' | 'route' | 'status'>
  readonly graphqlOperations: Counter<'type' | 'field' | 'outcome'>
  readonly graphqlDuration: Histogram<'type' | 'field' | 'outcome'>
  readonly graphqlResponseCache: Counter<'result'>
  readonly jobsStarted: Counter<'queue' | 'name'>
  readonly jobsFinished: Counter<'queue' | 'name' | 'outcome'>
  readonly jobDuration: Histogram<'queue' | 'name' | 'outcome'>
  readonly workerErrors: Counter<'queue'>
  readonly uploadsProcessed: Counter<'status'>
  readonly uploadBytes: Counter
  readonly eventsProcessed: Counter
  readonly processEvents: Counter
  readonly eventErrors: Counter
  readonly scanEventsExamined: Counter
  readonly detectionRows: Counter<'source'>
  readonly collectErrors: Counter<'source'>
}

/** Seconds; requests range from a health probe to a multi-gigabyte upload or export. */
const HTTP_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300]
/** Seconds; a job is a whole upload or scan: from a fraction of a second to an hour. */
const JOB_BUCKETS = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600]

export function createMetrics(): Metrics {
  const registry = new Registry()
  const registers = [registry]
  return {
    registry,
    httpRequests: new Counter({ name: 'watchpost_http_requests_total', help: 'HTTP requests answered, by method, route (as declared, e.g. /v1/uploads/:id; "unmatched" for none) and status ("aborted": the client left first).', labelNames: ['method', 'route', 'status'], registers }),
    httpDuration: new Histogram({ name: 'watchpost_http_request_duration_seconds', help: 'Time from a request’s arrival to the end of its answer.', labelNames: ['method', 'route', 'status'], buckets: HTTP_BUCKETS, registers }),
    graphqlOperations: new Counter({ name: 'watchpost_graphql_operations_total', help: 'GraphQL operations, by type (query, mutation; "none" when the document did not parse or validate), first root field and outcome (OK or the first error’s extensions.code).', labelNames: ['type', 'field', 'outcome'], registers }),
    graphqlDuration: new Histogram({ name: 'watchpost_graphql_operation_duration_seconds', help: 'Time to answer a GraphQL operation.', labelNames: ['type', 'field', 'outcome'], buckets: HTTP_BUCKETS, registers }),
    graphqlResponseCache: new Counter({ name: 'watchpost_graphql_response_cache_total', help: 'GraphQL queries of tenant keys by what the response cache did: hit (answered from memory), miss (computed and kept), uncacheable (a field outside the cached ones, or changes not heard).', labelNames: ['result'], registers }),
    jobsStarted: new Counter({ name: 'watchpost_jobs_started_total', help: 'Jobs this process started, by queue and job name (each attempt counts).', labelNames: ['queue', 'name'], registers }),
    jobsFinished: new Counter({ name: 'watchpost_jobs_finished_total', help: 'Job attempts this process finished: completed, retried (failed, another attempt follows) or failed (for good).', labelNames: ['queue', 'name', 'outcome'], registers }),
    jobDuration: new Histogram({ name: 'watchpost_job_duration_seconds', help: 'Time a job attempt ran, from start to completion or failure.', labelNames: ['queue', 'name', 'outcome'], buckets: JOB_BUCKETS, registers }),
    workerErrors: new Counter({ name: 'watchpost_worker_errors_total', help: 'Errors of a queue’s worker outside any job (lost Redis connection, failed scheduling).', labelNames: ['queue'], registers }),
    uploadsProcessed: new Counter({ name: 'watchpost_uploads_processed_total', help: 'Uploads this process finished processing, by final status (SUCCEEDED, SUCCEEDED_WITH_ERRORS, FAILED).', labelNames: ['status'], registers }),
    uploadBytes: new Counter({ name: 'watchpost_upload_bytes_processed_total', help: 'Bytes of the uploads processed, as received (compressed when sent compressed).', registers }),
    eventsProcessed: new Counter({ name: 'watchpost_events_processed_total', help: 'Well-formed events read from uploads (process creations and skipped kinds); rate() gives events per second.', registers }),
    processEvents: new Counter({ name: 'watchpost_process_events_total', help: 'Process-creation events read from uploads and evaluated by the rules.', registers }),
    eventErrors: new Counter({ name: 'watchpost_event_errors_total', help: 'Unreadable events in uploads (each reported on its upload with line and offset).', registers }),
    scanEventsExamined: new Counter({ name: 'watchpost_scan_events_examined_total', help: 'Stored events scans examined.', registers }),
    detectionRows: new Counter({ name: 'watchpost_detection_rows_written_total', help: 'Detection rows written (one per rule and distinct BY-field combination of a run), by source: upload or scan.', labelNames: ['source'], registers }),
    collectErrors: new Counter({ name: 'watchpost_metrics_collect_errors_total', help: 'Scrapes that could not read a gauge’s source in time (redis, postgres); the gauge is then left out.', labelNames: ['source'], registers }),
  }
}

/** The Prometheus text of the process's metrics (Node.js and process) and the service's. */
export async function metricsText(metrics: Metrics): Promise<{ contentType: string; text: string }> {
  const merged = Registry.merge([processMetricsRegistry(), metrics.registry])
  return { contentType: merged.contentType, text: await merged.metrics() }
}
