import type pg from 'pg'
import type { PrismaClient } from '../db/prisma.js'
import type { CimProcessField } from '../detection/index.js'
import { NotFoundError } from '../errors.js'
import { buildGroupEventsCount, buildGroupEventsPage, groupEventOf, type GroupEvent, type GroupEventRow, type GroupEventsScope } from '../sql-backend/index.js'
import { decodeTimeSerialCursor, encodeCursor } from './cursor.js'
import { loadCoverage, rangeArrays } from './rule-coverage.js'
import { isUuid } from './rules.js'
import { loadRulesForEvaluation, type TenantRule } from './tenant-rules.js'

/**
 * The contributing events of a grouped detection — the stored events it counts — a page at a
 * time. A detection's count is the sum of its contributions, one per upload, each what the rule
 * found in the part of that upload it has evaluated (its coverage, store/rule-coverage.ts). So its
 * events are: the events of each contributing upload within the rule's coverage of it that satisfy
 * the rule's WHERE (with the tenant's macros and the exceptions in force) and have the detection's
 * BY values (sql-backend/group-events.ts).
 *
 * That holds only while the rule is the one that counted them. Before listing anything the count
 * is redone the same way and compared: when the rule changed revision since, no longer compiles,
 * or now selects another number of events (its macros or exceptions changed), the answer says so
 * (`stale`) and lists nothing rather than events the detection did not count.
 */

export interface EventsRequest {
  readonly tenantId: string
  readonly detectionId: string
  /** Only the events of this upload's contribution (a risk event's). */
  readonly uploadId?: string
  /** Further literal, case-insensitive equalities (a drilldown's `user = "…"` terms). */
  readonly equals?: readonly { readonly field: CimProcessField; readonly value: string }[]
  readonly first: number
  readonly after?: string | null
}

export interface EventsPage {
  readonly edges: readonly { readonly cursor: string; readonly node: GroupEvent }[]
  readonly hasNextPage: boolean
  readonly totalCount: number
  /** Why the events cannot be listed (then there are none); null when they are the detection's. */
  readonly stale: string | null
}

interface Contribution {
  upload_id: string
  count: string
  rule_revision: number
}

const staleAnswer = (reason: string): EventsPage => ({ edges: [], hasNextPage: false, totalCount: 0, stale: reason })

export async function contributingEvents(deps: { pool: pg.Pool; prisma: PrismaClient }, request: EventsRequest): Promise<EventsPage> {
  const { pool } = deps
  const { tenantId } = request
  const after = request.after ? decodeTimeSerialCursor(request.after) : undefined
  if (!isUuid(request.detectionId)) throw new NotFoundError('Detection', request.detectionId)
  const { rows: found } = await pool.query<{ rule_id: string; fields: Record<string, string> }>('SELECT rule_id, fields FROM detections WHERE id = $1 AND tenant_id = $2', [request.detectionId, tenantId])
  const detection = found[0]
  if (detection === undefined) throw new NotFoundError('Detection', request.detectionId)
  const { rows: contributions } = await pool.query<Contribution>(
    `SELECT upload_id, count, rule_revision FROM detection_contributions WHERE detection_id = $1 AND tenant_id = $2${request.uploadId !== undefined ? ' AND upload_id = $3' : ''}`,
    request.uploadId !== undefined ? [request.detectionId, tenantId, request.uploadId] : [request.detectionId, tenantId],
  )
  if (contributions.length === 0) return { edges: [], hasNextPage: false, totalCount: 0, stale: null }

  const loaded = await loadRulesForEvaluation(deps.prisma, tenantId, { ruleIds: [detection.rule_id] }).catch((err: unknown) => {
    if (err instanceof NotFoundError) return null
    throw err
  })
  if (loaded === null) return staleAnswer('the rule of this detection no longer exists')
  const failure = loaded.failures[0]
  if (failure !== undefined) return staleAnswer(`the rule no longer compiles (${failure.message}), so its events cannot be selected again`)
  const rule = loaded.rules[0]!
  const coverage = await loadCoverage(pool, rule.ruleId, contributions.map((c) => c.upload_id))
  const reason = staleness(rule, detection.fields, contributions, coverage)
  if (reason !== null) return staleAnswer(reason)

  const scope: GroupEventsScope = { tenantId, fields: detection.fields, coverage: rangeArrays([...coverage].map(([uploadId, c]) => [uploadId, c.ranges] as const)) }
  const counted = contributions.reduce((n, c) => n + Number(c.count), 0)
  const selected = await countEvents(pool, rule, scope)
  if (selected !== counted) {
    return staleAnswer(
      `the rule now selects ${selected} event${selected === 1 ? '' : 's'} for this detection where it counted ${counted}: its macros or exceptions changed since; rescan the uploads to recount`,
    )
  }
  const filtered: GroupEventsScope = request.equals?.length ? { ...scope, equals: request.equals } : scope
  const totalCount = filtered === scope ? selected : await countEvents(pool, rule, filtered)
  const { text, values } = buildGroupEventsPage(rule.compiled, filtered, { limit: request.first, ...(after ? { after } : {}) })
  const { rows } = await pool.query<GroupEventRow>(text, values)
  const edges = rows.slice(0, request.first).map((row) => {
    const node = groupEventOf(row)
    return { cursor: encodeCursor(String(node.event._time), node.id), node }
  })
  return { edges, hasNextPage: rows.length > request.first, totalCount, stale: null }
}

type Coverage = Awaited<ReturnType<typeof loadCoverage>>

/** Why the rule as it is now cannot reproduce the detection's count, or null. */
function staleness(rule: TenantRule, fields: Record<string, string>, contributions: readonly Contribution[], coverage: Coverage): string | null {
  const older = [...new Set(contributions.map((c) => c.rule_revision).filter((v) => v !== rule.revision))]
  if (older.length > 0) {
    return `the rule is at revision ${rule.revision} but this detection was counted at revision ${older.sort((a, b) => a - b).join(', ')}; rescan the uploads to recount it with the current rule`
  }
  const names = Object.keys(fields)
  const by = rule.compiled.byFields
  if (names.length !== by.length || by.some((name) => !Object.hasOwn(fields, name))) {
    return `the rule now groups by ${by.join(', ') || 'nothing'}, not by this detection's fields; rescan the uploads to recount`
  }
  for (const c of contributions) {
    const covered = coverage.get(c.upload_id)
    if (covered === undefined) return `there is no record of what the rule evaluated in upload ${c.upload_id}; rescan it to recount`
    if (covered.revision !== rule.revision) return `the rule evaluated upload ${c.upload_id} at revision ${covered.revision}, not its current revision ${rule.revision}; rescan it to recount`
  }
  return null
}


async function countEvents(pool: pg.Pool, rule: TenantRule, scope: GroupEventsScope): Promise<number> {
  const { text, values } = buildGroupEventsCount(rule.compiled, scope)
  const { rows } = await pool.query<{ n: string }>(text, values)
  return Number(rows[0]!.n)
}
