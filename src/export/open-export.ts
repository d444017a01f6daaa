import type pg from 'pg'
import { NotFoundError } from '../errors.js'
import { detectionBatches } from '../store/detection-export-batches.js'
import { riskEventBatches } from '../store/risk-event-export-batches.js'
import { ruleCatalog, type CatalogRule } from '../store/rule-catalog.js'
import { detectionShape, type DetectionExport } from './detection-shape.js'
import { CONTENT_TYPES, serialise } from './export-format.js'
import type { DetectionsExportRequest, ExportRequest, RiskEventsExportRequest } from './export-request.js'
import { riskEventShape, type RiskEventExport } from './risk-event-shape.js'
import { splunkRiskShape } from './splunk-risk-shape.js'

/**
 * Starts an export for the HTTP route and the CLI alike. Everything that can refuse the request
 * (an unknown rule) happens here, before the first byte; what is returned streams, batch by batch.
 */

export interface OpenedExport {
  contentType: string
  /** A file name for Content-Disposition / the CLI's default, e.g. watchpost-detections-2026-03-16.csv. */
  fileName: string
  chunks: AsyncGenerator<string>
}

/** Rows read per query; the HTTP service takes it from EXPORT_BATCH_ROWS. */
export const DEFAULT_EXPORT_BATCH_ROWS = 1000

export async function openExport(pool: pg.Pool, tenantId: string, request: ExportRequest, opts: { batchSize: number; now: Date }): Promise<OpenedExport> {
  const rules = await ruleCatalog(pool, tenantId)
  if (request.ruleId !== null && !rules.has(request.ruleId)) throw new NotFoundError('Rule', request.ruleId)
  const name = request.kind === 'detections' ? 'detections' : request.layout === 'splunk-risk' ? 'risk-events-splunk' : 'risk-events'
  return {
    contentType: CONTENT_TYPES[request.format],
    fileName: `watchpost-${name}-${opts.now.toISOString().slice(0, 10)}.${request.format}`,
    chunks: request.kind === 'detections' ? detectionChunks(pool, tenantId, request, rules, opts.batchSize) : riskEventChunks(pool, tenantId, request, rules, opts.batchSize),
  }
}

function detectionChunks(pool: pg.Pool, tenantId: string, r: DetectionsExportRequest, rules: Map<string, CatalogRule>, batchSize: number): AsyncGenerator<string> {
  // As the detections query: a technique filter keeps the rules that carry the technique.
  let ruleIds = r.ruleId === null ? null : [r.ruleId]
  if (r.mitreTechnique !== null) {
    const carrying = [...rules.values()].filter((rule) => rule.mitreAttackIds.includes(r.mitreTechnique!)).map((rule) => rule.id)
    ruleIds = ruleIds === null ? carrying : ruleIds.filter((id) => carrying.includes(id))
  }
  const filter = { tenantId, ruleIds, dest: r.dest, user: r.user, from: r.from, to: r.to, status: r.status, assignee: r.assignee, assigned: r.assigned }
  return serialise(withRules(detectionBatches(pool, filter, batchSize), (detection): DetectionExport => ({ detection, rule: rules.get(detection.ruleId) ?? null })), detectionShape, r.format)
}

function riskEventChunks(pool: pg.Pool, tenantId: string, r: RiskEventsExportRequest, rules: Map<string, CatalogRule>, batchSize: number): AsyncGenerator<string> {
  const filter = { tenantId, ruleId: r.ruleId, object: r.object, type: r.type, from: r.from, to: r.to }
  const records = withRules(riskEventBatches(pool, filter, batchSize), (event): RiskEventExport => ({ event, rule: rules.get(event.ruleId) ?? null }))
  return serialise(records, r.layout === 'splunk-risk' ? splunkRiskShape : riskEventShape, r.format)
}

async function* withRules<T, R>(batches: AsyncIterable<T[]>, attach: (row: T) => R): AsyncGenerator<R[]> {
  for await (const batch of batches) yield batch.map(attach)
}
