import { isProcessField, type CimProcessField } from '../event.js'

/**
 * Which of ESCU's two drilldowns a drilldown search is (contentctl generates both for every
 * detection with risk objects; ESCU-SEMANTICS §5.3), read from the search as written, and what
 * Watchpost needs to answer it:
 *
 * - `%original_detection_search% | search user = "$user$" dest = "$dest$"`: the detection's own
 *   results for those values — its `field = "$token$"` terms, ANDed.
 * - `| from datamodel Risk.All_Risk | search normalized_risk_object IN ("$user$", "$dest$")
 *   starthoursago=168 …`: the risk events of those objects over the hours before.
 *
 * Anything else is OTHER: shown rendered, not answered.
 */

export type DrilldownPlan =
  | {
      readonly kind: 'DETECTION_RESULTS'
      /** `field = "template"` terms after the placeholder; `field` is a CIM field, or null when the term names none. */
      readonly filters: readonly { readonly name: string; readonly field: CimProcessField | null; readonly template: string }[]
    }
  | {
      readonly kind: 'RISK_EVENTS'
      /** The `normalized_risk_object` values, as templates. */
      readonly objects: readonly string[]
      /** `starthoursago`, or 168 (7 days, ESCU's value) when the search does not say. */
      readonly hours: number
    }
  | { readonly kind: 'OTHER' }

export const ORIGINAL_SEARCH_PLACEHOLDER = '%original_detection_search%'
const RISK_DATAMODEL = /\bdatamodel\s+Risk\.All_Risk\b/i
const DEFAULT_RISK_HOURS = 168

/** A search value: double-quoted (with `\"` and `\\` escapes) or a bare word. */
const VALUE = String.raw`"(?:[^"\\]|\\.)*"|[^\s"(),|]+`
const FILTER_TERM = new RegExp(String.raw`(?:^|\s)([A-Za-z_][\w.]*)\s*=\s*(${VALUE})`, 'g')
const RISK_OBJECTS_IN = new RegExp(String.raw`\bnormalized_risk_object\s+IN\s*\(([^)]*)\)`, 'i')
const RISK_OBJECT_EQ = new RegExp(String.raw`\bnormalized_risk_object\s*=\s*(${VALUE})`, 'gi')
const LIST_ITEM = new RegExp(VALUE, 'g')
const START_HOURS = /\bstarthoursago\s*=\s*(\d{1,6})\b/i

/** The text of a search value: quotes and their escapes removed. */
function unquote(v: string): string {
  return v.startsWith('"') ? v.slice(1, -1).replace(/\\(["\\])/g, '$1') : v
}

export function planDrilldown(search: string): DrilldownPlan {
  const placeholder = search.indexOf(ORIGINAL_SEARCH_PLACEHOLDER)
  if (placeholder >= 0) {
    // Only the terms of the `| search` that follows the detection's own search filter it.
    const rest = search.slice(placeholder + ORIGINAL_SEARCH_PLACEHOLDER.length).replace(/^\s*\|\s*search\b/, ' ')
    const command = rest.split('|')[0]!
    const filters = [...command.matchAll(FILTER_TERM)].map((m) => ({ name: m[1]!, field: isProcessField(m[1]!) ? m[1]! : null, template: unquote(m[2]!) }))
    return { kind: 'DETECTION_RESULTS', filters }
  }
  if (RISK_DATAMODEL.test(search)) {
    const list = RISK_OBJECTS_IN.exec(search)
    const objects = list !== null ? [...list[1]!.matchAll(LIST_ITEM)].map((m) => unquote(m[0])) : [...search.matchAll(RISK_OBJECT_EQ)].map((m) => unquote(m[1]!))
    const hours = START_HOURS.exec(search)
    return { kind: 'RISK_EVENTS', objects, hours: hours !== null ? Number(hours[1]) : DEFAULT_RISK_HOURS }
  }
  return { kind: 'OTHER' }
}
