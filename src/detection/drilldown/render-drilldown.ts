import { epochSeconds } from '../render/ctime.js'
import type { Drilldown } from '../rule/rule-definition.js'
import { planDrilldown, type DrilldownPlan } from './drilldown-plan.js'
import { renderTokens } from './render-tokens.js'

/**
 * A rule's drilldown filled in for one detection, as ES fills it for a notable: `$field$` for
 * each BY field of the detection, and `$info_min_time$` / `$info_max_time$` — in ES the bounds of
 * the search that raised the notable — as the detection's first and last event times in epoch
 * seconds (fractional when they have milliseconds, like Splunk's `_time`).
 */

export interface DetectionTokenSource {
  /** The detection's BY values, by output name. */
  readonly fields: Readonly<Record<string, string>>
  /** Epoch milliseconds of its first and last event. */
  readonly firstTime: number | null
  readonly lastTime: number | null
}

export interface RenderedDrilldown {
  readonly name: string
  readonly search: string
  readonly earliestOffset: string
  readonly latestOffset: string
  /** Tokens the detection has no value for, left as written (each once). */
  readonly unresolvedTokens: readonly string[]
  /** What the search asks, with its values still as templates (see answerValues). */
  readonly plan: DrilldownPlan
  /** The token values used, for rendering the plan's templates. */
  readonly values: ReadonlyMap<string, string>
}

/** The token values of a detection. */
export function detectionTokenValues(source: DetectionTokenSource): Map<string, string> {
  const values = new Map(Object.entries(source.fields))
  if (source.firstTime !== null) values.set('info_min_time', String(epochSeconds(source.firstTime)))
  if (source.lastTime !== null) values.set('info_max_time', String(epochSeconds(source.lastTime)))
  return values
}

export function renderDrilldown(drilldown: Drilldown, source: DetectionTokenSource): RenderedDrilldown {
  const values = detectionTokenValues(source)
  const parts = [drilldown.name, drilldown.search, drilldown.earliestOffset, drilldown.latestOffset].map((t) => renderTokens(t, values))
  const [name, search, earliest, latest] = parts as [ReturnType<typeof renderTokens>, ReturnType<typeof renderTokens>, ReturnType<typeof renderTokens>, ReturnType<typeof renderTokens>]
  return {
    name: name.text,
    search: search.text,
    earliestOffset: earliest.text,
    latestOffset: latest.text,
    unresolvedTokens: [...new Set(parts.flatMap((p) => p.unresolved))],
    plan: planDrilldown(drilldown.search),
    values,
  }
}

/**
 * A plan template's value for the detection: the rendered text, or null when a token in it has
 * no value (Splunk would search for the token's literal text, which names no field value).
 */
export function answerValue(template: string, values: ReadonlyMap<string, string>): string | null {
  const rendered = renderTokens(template, values)
  return rendered.unresolved.length === 0 ? rendered.text : null
}
