import type { CatalogRule } from '../store/rule-catalog.js'
import type { RiskEventExportRecord } from '../store/risk-event-export-batches.js'
import { listCell, type ExportShape } from './export-format.js'

/**
 * A risk event in Watchpost's own layout: the fields of the GraphQL `RiskEvent` under the same
 * names (object, type, score, message, time, threatObjects), with the detection, rule and upload
 * it came from. In CSV the threat objects are two parallel list cells, values and types.
 */

export interface RiskEventExport {
  readonly event: RiskEventExportRecord
  /** Null when the rule was deleted while the export ran. */
  readonly rule: CatalogRule | null
}

function riskEventObject({ event: e, rule }: RiskEventExport) {
  return {
    id: e.id,
    time: e.time.toISOString(),
    object: e.object,
    type: e.type,
    score: e.score,
    message: e.message,
    threatObjects: e.threatObjects,
    mitreTechniques: e.mitreTechniques,
    detectionId: e.detectionId,
    ruleId: e.ruleId,
    ruleName: rule?.name ?? null,
    ruleRevision: e.ruleRevision,
    uploadId: e.uploadId,
  }
}

export const riskEventShape: ExportShape<RiskEventExport> = {
  columns: ['id', 'time', 'object', 'type', 'score', 'message', 'threatObjects', 'threatObjectTypes', 'mitreTechniques', 'detectionId', 'ruleId', 'ruleName', 'ruleRevision', 'uploadId'],
  cells(record) {
    const o = riskEventObject(record)
    return [
      o.id,
      o.time,
      o.object,
      o.type,
      o.score,
      o.message,
      listCell(o.threatObjects.map((t) => t.value)),
      listCell(o.threatObjects.map((t) => t.type)),
      listCell(o.mitreTechniques),
      o.detectionId,
      o.ruleId,
      o.ruleName,
      o.ruleRevision,
      o.uploadId,
    ]
  },
  json: riskEventObject,
}
