import type pg from 'pg'
import { CIM_PROCESS_FIELDS, type RuleDefinition } from '../../detection/index.js'
import type { GroupEvent } from '../../sql-backend/index.js'
import { detectionDrilldowns, type DrilldownAnswer } from '../../services/detection-drilldowns.js'
import { rawEventTexts } from '../../services/raw-event-texts.js'
import { pageSize } from '../../store/cursor.js'
import { contributingEvents, type EventsPage, type EventsRequest } from '../../store/detection-events.js'
import type { RiskEventsPage } from '../../store/risk-events-of-objects.js'
import { loadBatched } from '../batch-loader.js'
import { requireTenant, type RequestContext } from '../context.js'
import type { Resolvers } from '../generated/resolver-types.js'
import type { ProcessEventParent } from '../resolver-parents.js'

/**
 * Drilldown from detections and risk events to what they were made of: the stored events each
 * counts (with their raw text), and the rule's drilldown searches filled in and answered.
 */

const MAX_PAGE = 200
const DEFAULT_PAGE = 50

/**
 * The raw texts asked for in one tick of a request — the events of every detection of a page —
 * read together, so that an upload is read once (a gzip upload or an archive is inflated from
 * its start: once per detection made a page of 50 detections inflate it 50 times).
 */
const rawTextOf = (ctx: object, pool: pg.Pool, e: GroupEvent): Promise<string | null> =>
  loadBatched(ctx, 'raw-event-text', e, async (events: GroupEvent[]) => {
    const texts = await rawEventTexts(pool, events)
    return new Map(events.map((event) => [event, texts.get(event.id) ?? null]))
  }).then((text) => text ?? null)

/**
 * The events pages a list asks for in one tick (each detection of a page of detections), handed
 * back together, so that their raw texts are asked for in one tick too (rawTextOf).
 */
const pageTogether = (ctx: RequestContext, query: EventsRequest): Promise<EventsPage> =>
  loadBatched(ctx, 'contributing-events', query, async (queries: EventsRequest[]) => {
    // Settled one by one: a detection whose events fail fails alone.
    const pages = await Promise.allSettled(queries.map((q) => contributingEvents(ctx.deps, q)))
    return new Map(queries.map((q, i) => [q, pages[i]!]))
  }).then((page) => {
    if (page!.status === 'rejected') throw page!.reason
    return page!.value
  })

function eventConnection(ctx: object, pool: pg.Pool, page: EventsPage) {
  const rawOf = (e: GroupEvent) => rawTextOf(ctx, pool, e)
  return {
    __typename: 'ProcessEventConnection' as const,
    edges: page.edges.map(({ cursor, node: e }) => ({ cursor, node: processEventNode(e, () => rawOf(e)) })),
    pageInfo: { hasNextPage: page.hasNextPage, endCursor: page.edges.at(-1)?.cursor ?? null },
    totalCount: page.totalCount,
    stale: page.stale,
  }
}

function processEventNode(e: GroupEvent, raw: () => Promise<string | null>): ProcessEventParent {
  const fields: Record<string, string | null> = {}
  for (const f of CIM_PROCESS_FIELDS) fields[f] = e.event[f]
  return { id: e.id, time: new Date(e.event._time), uploadId: e.uploadId, source: e.source, line: e.line, fields, raw }
}

function riskEventConnection(page: RiskEventsPage) {
  return {
    __typename: 'RiskEventConnection' as const,
    edges: [...page.edges],
    pageInfo: { hasNextPage: page.hasNextPage, endCursor: page.edges.at(-1)?.cursor ?? null },
    totalCount: page.totalCount,
  }
}

const answerConnection = (ctx: object, pool: pg.Pool, answer: DrilldownAnswer) => (answer.kind === 'events' ? eventConnection(ctx, pool, answer) : riskEventConnection(answer))

export const drilldownResolvers: Resolvers = {
  Detection: {
    events: async (d, args, ctx) => {
      const first = pageSize(args.first, DEFAULT_PAGE, MAX_PAGE)
      return eventConnection(ctx, ctx.deps.pool, await pageTogether(ctx, { tenantId: d.tenantId, detectionId: d.id, first, after: args.after }))
    },
    drilldowns: async (d, _, ctx) => {
      const rule = await ctx.deps.prisma.rule.findFirst({ where: { id: d.ruleId, tenantId: d.tenantId }, select: { definition: true } })
      const drilldowns = rule ? ((rule.definition as unknown as RuleDefinition).drilldowns ?? []) : []
      return detectionDrilldowns(ctx.deps, d, drilldowns)
    },
  },
  RiskEvent: {
    events: async (r, args, ctx) => {
      const { tenantId } = requireTenant(ctx, 'read')
      const first = pageSize(args.first, DEFAULT_PAGE, MAX_PAGE)
      return eventConnection(ctx, ctx.deps.pool, await pageTogether(ctx, { tenantId, detectionId: r.detectionId, uploadId: r.uploadId, first, after: args.after }))
    },
  },
  ProcessEvent: {
    raw: (e) => e.raw(),
  },
  DetectionDrilldown: {
    answer: async (v, args, ctx) => {
      if (v.answer === null) return null
      return answerConnection(ctx, ctx.deps.pool, await v.answer({ first: pageSize(args.first, DEFAULT_PAGE, MAX_PAGE), after: args.after }))
    },
  },
  DrilldownAnswer: {
    // Both connections are built with their __typename (eventConnection, riskEventConnection).
    __resolveType: (answer) => answer.__typename ?? null,
  },
}
