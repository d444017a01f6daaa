import type pg from 'pg'
import type { PrismaClient } from '../db/prisma.js'
import { answerValue, renderDrilldown, type CimProcessField, type Drilldown, type RenderedDrilldown } from '../detection/index.js'
import { contributingEvents, type EventsPage } from '../store/detection-events.js'
import { riskEventsOfObjects, type RiskEventsPage } from '../store/risk-events-of-objects.js'

/**
 * A rule's drilldown searches for one detection: filled in with its values (detection/drilldown)
 * and, for ESCU's two kinds, answered by Watchpost — the detection's own events for the search's
 * `field = "value"` terms, or the named risk objects' risk events before the detection.
 */

export interface DrilldownDetection {
  readonly id: string
  readonly tenantId: string
  readonly fields: Readonly<Record<string, string>>
  readonly firstTime: Date | null
  readonly lastTime: Date | null
}

export type DrilldownAnswer = ({ readonly kind: 'events' } & EventsPage) | ({ readonly kind: 'riskEvents' } & RiskEventsPage)

export interface DrilldownView {
  readonly name: string
  readonly kind: RenderedDrilldown['plan']['kind']
  readonly search: string
  readonly earliestOffset: string
  readonly latestOffset: string
  readonly unresolvedTokens: readonly string[]
  /** Why there is no answer; null when there is one. */
  readonly note: string | null
  /** The answer, a page at a time; null when there is none (see note). */
  readonly answer: ((page: { first: number; after?: string | null }) => Promise<DrilldownAnswer>) | null
}

const HOUR_MS = 3_600_000

export function detectionDrilldowns(deps: { pool: pg.Pool; prisma: PrismaClient }, detection: DrilldownDetection, drilldowns: readonly Drilldown[]): DrilldownView[] {
  return drilldowns.map((d) => {
    const rendered = renderDrilldown(d, { fields: detection.fields, firstTime: detection.firstTime?.getTime() ?? null, lastTime: detection.lastTime?.getTime() ?? null })
    const { answer, note } = answerOf(deps, detection, rendered)
    return {
      name: rendered.name,
      kind: rendered.plan.kind,
      search: rendered.search,
      earliestOffset: rendered.earliestOffset,
      latestOffset: rendered.latestOffset,
      unresolvedTokens: rendered.unresolvedTokens,
      note,
      answer,
    }
  })
}

function answerOf(deps: { pool: pg.Pool; prisma: PrismaClient }, detection: DrilldownDetection, rendered: RenderedDrilldown): Pick<DrilldownView, 'answer' | 'note'> {
  const { plan, values } = rendered
  switch (plan.kind) {
    case 'OTHER':
      return { answer: null, note: "not one of ESCU's two drilldown searches (the detection's results, or the risk events of its objects); shown filled in, not run" }
    case 'DETECTION_RESULTS': {
      const equals: { field: CimProcessField; value: string }[] = []
      for (const f of plan.filters) {
        if (f.field === null) return { answer: null, note: `the search filters on ${f.name}, which is not a field of the detection's events` }
        const value = answerValue(f.template, values)
        if (value === null) return { answer: null, note: `the detection has no value for ${f.template}, so ${f.name} = "${f.template}" matches none of its events` }
        equals.push({ field: f.field, value })
      }
      return {
        note: null,
        answer: async (page) => ({ kind: 'events', ...(await contributingEvents(deps, { tenantId: detection.tenantId, detectionId: detection.id, equals, ...page })) }),
      }
    }
    case 'RISK_EVENTS': {
      const objects = plan.objects.map((t) => answerValue(t, values)).filter((v): v is string => v !== null)
      if (objects.length === 0) return { answer: null, note: 'the detection has a value for none of the risk objects the search names' }
      const last = detection.lastTime
      if (last === null) return { answer: null, note: 'the detection has no last time to count the hours back from' }
      const from = new Date(last.getTime() - plan.hours * HOUR_MS)
      return {
        note: null,
        answer: async (page) => ({ kind: 'riskEvents', ...(await riskEventsOfObjects(deps.pool, { tenantId: detection.tenantId, objects, from, to: last, ...page })) }),
      }
    }
  }
}
