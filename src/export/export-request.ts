import { InvalidInputError } from '../errors.js'
import type { DetectionStatus } from '../store/detections-query.js'
import { isUuid } from '../store/rules.js'
import { EXPORT_FORMATS, type ExportFormat } from './export-format.js'

/**
 * The parameters of an export, as the HTTP query string and the CLI's options give them (names
 * as in the GraphQL filters), checked once here: every refusal names the parameter, what it
 * accepts and what it got. Unknown parameters are refused too, so a misspelt filter never exports
 * everything silently.
 */

export const RISK_EVENT_LAYOUTS = ['watchpost', 'splunk-risk'] as const
export type RiskEventLayout = (typeof RISK_EVENT_LAYOUTS)[number]

const DETECTION_STATUSES: readonly DetectionStatus[] = ['NEW', 'ACKNOWLEDGED', 'CLOSED_TRUE_POSITIVE', 'CLOSED_FALSE_POSITIVE']
const RISK_OBJECT_TYPES = ['user', 'system', 'other'] as const

export interface DetectionsExportRequest {
  kind: 'detections'
  format: ExportFormat
  ruleId: string | null
  mitreTechnique: string | null
  dest: string | null
  user: string | null
  from: Date | null
  to: Date | null
  status: DetectionStatus[] | null
  assignee: string | null
  assigned: boolean | null
}

export interface RiskEventsExportRequest {
  kind: 'risk-events'
  format: ExportFormat
  layout: RiskEventLayout
  ruleId: string | null
  object: string | null
  type: string | null
  from: Date | null
  to: Date | null
}

export type ExportRequest = DetectionsExportRequest | RiskEventsExportRequest

/** Parameter values as received: a query string may repeat a name (an array). */
export type RawParams = Record<string, unknown>

export const DETECTION_EXPORT_PARAMS = ['format', 'ruleId', 'mitreTechnique', 'dest', 'user', 'from', 'to', 'status', 'assignee', 'assigned'] as const
export const RISK_EVENT_EXPORT_PARAMS = ['format', 'layout', 'ruleId', 'object', 'type', 'from', 'to'] as const

const bad = (field: string, message: string, details: Record<string, unknown> = {}): InvalidInputError => new InvalidInputError(message, { field, ...details })

/** Reads the parameters of one export, refusing anything not in `allowed`. */
class ParamReader {
  constructor(
    private readonly raw: RawParams,
    allowed: readonly string[],
  ) {
    const unknown = Object.keys(raw).filter((k) => !allowed.includes(k))
    if (unknown.length > 0) {
      const takes = allowed.length > 0 ? `takes ${allowed.join(', ')}` : 'takes no parameters'
      throw bad(unknown[0]!, `unknown parameter "${unknown[0]}"; this export ${takes}`, { allowed })
    }
  }

  text(name: string): string | null {
    const v = this.raw[name]
    if (v === undefined) return null
    if (typeof v !== 'string') throw bad(name, `"${name}" must be given once, as text`)
    return v
  }

  oneOf<T extends string>(name: string, values: readonly T[], fallback: T): T {
    const v = this.text(name)
    if (v === null) return fallback
    if (!(values as readonly string[]).includes(v)) throw bad(name, `"${name}" must be one of ${values.join(', ')} (got "${v}")`, { allowed: values })
    return v as T
  }

  uuid(name: string): string | null {
    const v = this.text(name)
    if (v !== null && !isUuid(v)) throw bad(name, `"${name}" must be a UUID, e.g. the id of a rule (got "${v}")`)
    return v
  }

  time(name: string): Date | null {
    const v = this.text(name)
    if (v === null) return null
    // An ISO-8601 date or date-time; Date.parse alone would take "1" or "March 5".
    const d = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/.test(v) ? new Date(v) : null
    if (d === null || Number.isNaN(d.getTime())) throw bad(name, `"${name}" must be an ISO-8601 date or date-time, e.g. 2026-03-10T12:00:00Z (got "${v}")`)
    return d
  }

  boolean(name: string): boolean | null {
    const v = this.text(name)
    if (v === null) return null
    if (v !== 'true' && v !== 'false') throw bad(name, `"${name}" must be true or false (got "${v}")`, { allowed: ['true', 'false'] })
    return v === 'true'
  }

  list<T extends string>(name: string, values: readonly T[]): T[] | null {
    const v = this.text(name)
    if (v === null) return null
    const items = v.split(',').map((s) => s.trim())
    const wrong = items.find((s) => !(values as readonly string[]).includes(s))
    if (wrong !== undefined) throw bad(name, `"${name}" must be a comma-separated list of ${values.join(', ')} (got "${wrong}")`, { allowed: values })
    return items as T[]
  }
}

function timeRange(p: ParamReader): { from: Date | null; to: Date | null } {
  const from = p.time('from')
  const to = p.time('to')
  if (from && to && from > to) throw bad('from', `"from" (${from.toISOString()}) is after "to" (${to.toISOString()})`)
  return { from, to }
}

export function parseDetectionsExport(raw: RawParams): DetectionsExportRequest {
  const p = new ParamReader(raw, DETECTION_EXPORT_PARAMS)
  const technique = p.text('mitreTechnique')?.toUpperCase() ?? null
  if (technique !== null && !/^T\d{4}(\.\d{3})?$/.test(technique)) throw bad('mitreTechnique', `"mitreTechnique" must be an ATT&CK technique id such as T1572 or T1059.001 (got "${technique}")`)
  return {
    kind: 'detections',
    format: p.oneOf('format', EXPORT_FORMATS, 'json'),
    ruleId: p.uuid('ruleId'),
    mitreTechnique: technique,
    dest: p.text('dest'),
    user: p.text('user'),
    ...timeRange(p),
    status: p.list('status', DETECTION_STATUSES),
    assignee: p.text('assignee'),
    assigned: p.boolean('assigned'),
  }
}

export function parseRiskEventsExport(raw: RawParams): RiskEventsExportRequest {
  const p = new ParamReader(raw, RISK_EVENT_EXPORT_PARAMS)
  return {
    kind: 'risk-events',
    format: p.oneOf('format', EXPORT_FORMATS, 'json'),
    layout: p.oneOf('layout', RISK_EVENT_LAYOUTS, 'watchpost'),
    ruleId: p.uuid('ruleId'),
    object: p.text('object'),
    type: p.text('type') === null ? null : p.oneOf('type', RISK_OBJECT_TYPES, 'user'),
    ...timeRange(p),
  }
}

/** The attack layer takes no parameters; anything given is refused rather than ignored. */
export function parseAttackLayerExport(raw: RawParams): void {
  new ParamReader(raw, [])
}
