import { lookupTechniques, tacticNamed } from '../detection/index.js'
import type { RiskEventExport } from './risk-event-shape.js'
import { listCell, type ExportShape } from './export-format.js'

/**
 * A risk event in the field layout Splunk Enterprise Security writes to `index=risk`, so that a
 * team can forward Watchpost's risk events to ES and have its risk analysis, risk incident rules
 * and the Risk data model (`Risk.All_Risk`) read them like its own.
 *
 * Fields, and where their names and values come from:
 * - `_time`: the event time as epoch seconds (milliseconds as a fraction), the form Splunk's
 *   timestamp recognition reads without configuration (and `| inputcsv` takes as `_time`).
 * - `risk_object`, `risk_object_type` (user | system | other), `risk_score`, `risk_message`: the
 *   Risk Analysis adaptive response action's fields — "Risk Score, Risk Object Field, Risk Object
 *   Type" and the risk message with `$field$` tokens (Splunk ES 7 docs, "Create a risk message to
 *   add context for investigations", docs.splunk.com/Documentation/ES/7.3.0/RBA/CreateRiskMessage;
 *   "Included adaptive response actions", help.splunk.com … /incident-review/included-adaptive-response-actions-with-splunk-enterprise-security).
 * - `threat_object`, `threat_object_type`: the same action's threat objects, as multivalue fields
 *   in step (ESCU's generated `action.risk.param._risk = [{"risk_object_field": …}, {"threat_object_field": …, "threat_object_type": …}]`).
 * - `search_name` and `source`: the correlation search that wrote the event. ESCU names its
 *   searches `ESCU - <detection name> - Rule` (contentctl's `action.correlationsearch.label`),
 *   and risk searches count distinct `source` values as distinct detections (splunk/rba,
 *   docs/searches/risk_incident_rule_ideas.md: `dc(source) as source_count`).
 * - `annotations.mitre_attack` (technique ids), `annotations.mitre_attack.mitre_technique_id`,
 *   `annotations.mitre_attack.mitre_technique`, `annotations.mitre_attack.mitre_tactic_id`,
 *   `annotations.mitre_attack.mitre_tactic`: ES's enrichment of a search's `mitre_attack`
 *   annotation, which risk incident rules aggregate (ES "How the Risk Timeline visualization works"
 *   and splunk/rba searches: `values(All_Risk.annotations.mitre_attack.mitre_tactic_id)`). Tactics
 *   are written by id (TA0011) and short name (command-and-control).
 * - `analyticstories`: the rule's analytic stories (contentctl's drilldown over index=risk lists
 *   `values(analyticstories)`).
 * Multivalue fields are JSON arrays in JSON and NDJSON and one value per line in a CSV cell (as
 * Splunk's outputcsv writes them).
 */

/** contentctl's correlation search name of an ESCU detection. */
export const splunkSearchName = (ruleName: string): string => `ESCU - ${ruleName} - Rule`

/** The fields of a risk event in index=risk, in the order exports write them. */
const COLUMNS = [
  '_time',
  'risk_object',
  'risk_object_type',
  'risk_score',
  'risk_message',
  'threat_object',
  'threat_object_type',
  'search_name',
  'source',
  'annotations.mitre_attack',
  'annotations.mitre_attack.mitre_technique_id',
  'annotations.mitre_attack.mitre_technique',
  'annotations.mitre_attack.mitre_tactic_id',
  'annotations.mitre_attack.mitre_tactic',
  'analyticstories',
] as const

type SplunkRiskEvent = Record<(typeof COLUMNS)[number], string | number | string[]>

function splunkRiskEvent({ event: e, rule }: RiskEventExport): SplunkRiskEvent {
  const techniques = lookupTechniques(e.mitreTechniques)
  const tactics = [...new Set(techniques.flatMap((t) => t.tactics))].flatMap((name) => tacticNamed(name) ?? [])
  const searchName = splunkSearchName(rule?.name ?? e.ruleId)
  return {
    _time: e.time.getTime() / 1000,
    risk_object: e.object,
    risk_object_type: e.type,
    risk_score: e.score,
    risk_message: e.message,
    threat_object: e.threatObjects.map((t) => t.value),
    threat_object_type: e.threatObjects.map((t) => t.type),
    search_name: searchName,
    source: searchName,
    'annotations.mitre_attack': techniques.map((t) => t.id),
    'annotations.mitre_attack.mitre_technique_id': techniques.map((t) => t.id),
    'annotations.mitre_attack.mitre_technique': techniques.map((t) => t.name),
    'annotations.mitre_attack.mitre_tactic_id': tactics.map((t) => t.id),
    'annotations.mitre_attack.mitre_tactic': tactics.map((t) => t.shortName),
    analyticstories: [...(rule?.analyticStories ?? [])],
  }
}

export const splunkRiskShape: ExportShape<RiskEventExport> = {
  columns: COLUMNS,
  cells(record) {
    const o = splunkRiskEvent(record)
    return COLUMNS.map((c) => {
      const v = o[c]
      return Array.isArray(v) ? listCell(v) : v
    })
  },
  json: splunkRiskEvent,
}
