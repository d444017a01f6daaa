import type { Rba } from '../detection/index.js'
import type { DrilldownView } from '../services/detection-drilldowns.js'
import type { AuditEventRow } from '../store/audit-events.js'
import type { DetectionRecord, RiskEventRecord } from '../store/detections-query.js'
import type { RiskIncidentRecord, RiskIncidentRuleRecord } from '../store/risk-incidents.js'
import type { RiskObjectRecord } from '../store/risk-query.js'
import type { RuleExceptionRecord } from '../store/rule-exceptions.js'
import type { RuleRow } from '../store/rules.js'
import type { ScanScheduleRecord } from '../store/scan-schedules.js'
import type { ScanRecord } from '../store/scans.js'
import type { UploadRow } from '../store/uploads-query.js'

/**
 * What a resolver hands on for each GraphQL object type: the internal record that the type's field
 * resolvers then read (its `parent`). codegen.ts maps the schema's types to these (`mappers`), so
 * the generated resolver types check both sides: what a query returns and what a field receives.
 * Records that do not carry their tenant get it added, for the field resolvers' own queries.
 */

export type { AuditEventRow, DrilldownView, Rba, RiskEventRecord, RiskIncidentRuleRecord, RuleRow, ScanRecord, ScanScheduleRecord, UploadRow }

export type DetectionParent = DetectionRecord & { tenantId: string }
export type RiskObjectParent = RiskObjectRecord & { tenantId: string }
export type RiskIncidentParent = RiskIncidentRecord & { tenantId: string }
export type RuleExceptionParent = RuleExceptionRecord & { tenantId: string }

/** A ProcessEvent as the schema shows it; `raw` is read for the whole page once, when asked for. */
export interface ProcessEventParent {
  id: string
  time: Date
  uploadId: string
  source: string
  line: number
  fields: Record<string, string | null>
  raw: () => Promise<string | null>
}
