/**
 * A detection as imported from ESCU YAML: plain JSON-serialisable data (stores persist it as
 * JSON and compile it again later), with field names in camelCase. Risk metadata is always in the
 * v11 `rba` shape, whatever the YAML version was (see rule/v5-rba.ts for the conversion).
 */

/** Risk-object type as ES and contentctl define it. */
export type RiskObjectType = 'user' | 'system' | 'other'

/** A row field whose value becomes a risk object with this score. */
export interface RiskObject {
  readonly field: string
  readonly type: RiskObjectType
  /** 0..100. */
  readonly score: number
}

/** A row field whose value is recorded as a threat object (e.g. type `process_name`). */
export interface ThreatObject {
  readonly field: string
  readonly type: string
}

/** Risk-based alerting metadata (contentctl `rba:` block). */
export interface Rba {
  /** Message with `$field$` tokens filled from the row. */
  readonly message: string
  readonly riskObjects: readonly RiskObject[]
  readonly threatObjects: readonly ThreatObject[]
}

/** A drilldown search as written in the rule (tokens are filled by the UI, not by us). */
export interface Drilldown {
  readonly name: string
  readonly search: string
  readonly earliestOffset: string
  readonly latestOffset: string
}

/** The tags the engine uses. */
export interface RuleTags {
  readonly analyticStories: readonly string[]
  /** Validated as `^T\d{4}(\.\d{3})?$` at import. */
  readonly mitreAttackIds: readonly string[]
  readonly securityDomain: string | null
  readonly assetType: string | null
  readonly product: readonly string[]
}

/** One imported detection. */
export interface RuleDefinition {
  readonly id: string
  readonly name: string
  readonly version: number
  readonly date: string | null
  readonly author: string | null
  readonly status: string | null
  readonly type: string | null
  readonly description: string | null
  readonly dataSources: readonly string[]
  /** The search exactly as written; compileRule parses it. */
  readonly search: string
  readonly howToImplement: string | null
  readonly knownFalsePositives: string | null
  readonly references: readonly string[]
  readonly drilldowns: readonly Drilldown[]
  readonly tags: RuleTags
  /** Null when the rule declares no risk (neither `rba:` nor v5 observables). */
  readonly rba: Rba | null
  /** contentctl's name of this detection's filter macro, e.g. `windows_ngrok_reverse_proxy_usage_filter`. */
  readonly filterMacroName: string
  /** The YAML document exactly as imported. */
  readonly yaml: string
  /** File the rule came from, when the importer was told. */
  readonly file: string | null
  /** 0-based index of the document in its YAML stream. */
  readonly document: number
}

/**
 * contentctl's filter-macro name: the detection name with spaces, `-`, `.` and `/` replaced by `_`,
 * lower-cased, plus `_filter` (`detection_abstract.py`, getDetectionMacros).
 */
export function filterMacroNameFor(detectionName: string): string {
  return `${detectionName.replace(/[ \-./]/g, '_').toLowerCase()}_filter`
}
