import { CIM_PROCESS_FIELDS, ctime, isProcessField } from '../detection/index.js'
import type { DetectionRecord } from '../store/detections-query.js'
import type { CatalogRule } from '../store/rule-catalog.js'
import { listCell, type ExportShape } from './export-format.js'

/**
 * A detection as exported: the fields of the GraphQL `Detection` under the same names (the rule as
 * ruleId and ruleName, its ATT&CK techniques as ids). In CSV the BY fields are columns — the 20 CIM
 * Endpoint.Processes fields every ESCU rule groups by, empty where a rule has no such field — and
 * any other BY field goes, as JSON, to `otherFields`.
 */

export interface DetectionExport {
  readonly detection: DetectionRecord
  /** Null when the rule was deleted while the export ran. */
  readonly rule: CatalogRule | null
}

const iso = (d: Date | null): string | null => d?.toISOString() ?? null
const ctimeOf = (d: Date | null): string | null => (d ? ctime(d.getTime()) : null)

function detectionObject({ detection: d, rule }: DetectionExport) {
  return {
    id: d.id,
    ruleId: d.ruleId,
    ruleName: rule?.name ?? null,
    ruleRevision: d.ruleRevision,
    status: d.status,
    assignee: d.assignee,
    statusChangedAt: d.statusChangedAt.toISOString(),
    count: d.count,
    firstTime: ctimeOf(d.firstTime),
    lastTime: ctimeOf(d.lastTime),
    firstSeen: iso(d.firstTime),
    lastSeen: iso(d.lastTime),
    mitreTechniques: [...(rule?.mitreAttackIds ?? [])],
    fields: d.fields,
  }
}

const SCALAR_COLUMNS = ['id', 'ruleId', 'ruleName', 'ruleRevision', 'status', 'assignee', 'statusChangedAt', 'count', 'firstTime', 'lastTime', 'firstSeen', 'lastSeen'] as const

export const detectionShape: ExportShape<DetectionExport> = {
  columns: [...SCALAR_COLUMNS, 'mitreTechniques', ...CIM_PROCESS_FIELDS, 'otherFields'],
  cells(record) {
    const o = detectionObject(record)
    const other = Object.entries(o.fields).filter(([name]) => !isProcessField(name))
    return [
      ...SCALAR_COLUMNS.map((c) => o[c]),
      listCell(o.mitreTechniques),
      ...CIM_PROCESS_FIELDS.map((f) => o.fields[f] ?? null),
      other.length > 0 ? JSON.stringify(Object.fromEntries(other)) : null,
    ]
  },
  json: detectionObject,
}
