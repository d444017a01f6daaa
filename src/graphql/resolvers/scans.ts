import { ConflictError, InvalidInputError, NotFoundError } from '../../errors.js'
import { enqueueScan, removeScanScheduler, schedulerIdOf, syncScanScheduler } from '../../queue/scan-queue.js'
import { selectRuleIds, unknownRuleIds } from '../../scans/scan-rules.js'
import { formatRelativeTime, nextCronRun } from '../../scans/schedule-window.js'
import { pageSize } from '../../store/cursor.js'
import { isUuid } from '../../store/rules.js'
import {
  createScanSchedule,
  deleteScanSchedule,
  listScanSchedules,
  setScanSchedulePaused,
  updateScanSchedule,
  type ScanScheduleInput,
  type ScanScheduleRecord,
} from '../../store/scan-schedules.js'
import { createScan, listScans, scanById } from '../../store/scans.js'
import { requireTenant, type RequestContext } from '../context.js'
import type { Resolvers } from '../generated/resolver-types.js'

/**
 * Scans over stored events (src/scans/): queued here, run by the scan workers. Starting scans and
 * managing schedules is rule work (analyst and admin keys); every reading key sees them.
 */

const connectionOf = (page: Awaited<ReturnType<typeof listScans>>) => ({
  edges: page.records.map((r) => ({ cursor: r.cursor, node: r.record })),
  pageInfo: { hasNextPage: page.hasNextPage, endCursor: page.records.at(-1)?.cursor ?? null },
})

/** The rule ids a scan runs: the named ones (each must exist), or every enabled rule. */
async function scanRuleIds(ctx: RequestContext, tenantId: string, rules: string[] | null | undefined): Promise<string[]> {
  const named = [...new Set(rules ?? [])]
  const malformed = named.filter((id) => !isUuid(id))
  const unknown = [...malformed, ...(await unknownRuleIds(ctx.deps.prisma, tenantId, named.filter(isUuid)))]
  if (unknown.length > 0) throw new NotFoundError('rule', unknown.join(', '))
  const ids = await selectRuleIds(ctx.deps.prisma, tenantId, { ruleIds: named })
  if (ids.length === 0) throw new InvalidInputError('no rule to run: the tenant has no enabled rule and none was named', { field: 'rules' })
  return ids
}

/** Schedules are written to Postgres first (the truth), then their job scheduler is derived. */
async function synced(ctx: RequestContext, s: ScanScheduleRecord): Promise<ScanScheduleRecord> {
  await syncScanScheduler(ctx.deps.scanQueue, s)
  return s
}

export const scanResolvers: Resolvers = {
  Query: {
    scans: async (_, args, ctx) => {
      const { tenantId } = requireTenant(ctx, 'read')
      const scheduleId = args.filter?.scheduleId ?? null
      if (scheduleId !== null && !isUuid(scheduleId)) return connectionOf({ records: [], hasNextPage: false })
      return connectionOf(await listScans(ctx.deps.pool, { tenantId, first: pageSize(args.first, 50, 500), after: args.after, scheduleId, status: args.filter?.status }))
    },
    scan: async (_, args, ctx) => {
      const { tenantId } = requireTenant(ctx, 'read')
      if (!isUuid(args.id)) return null
      return scanById(ctx.deps.pool, tenantId, args.id).catch((err: unknown) => {
        if (err instanceof NotFoundError) return null
        throw err
      })
    },
    scanSchedules: (_, __, ctx) => {
      const { tenantId } = requireTenant(ctx, 'read')
      return listScanSchedules(ctx.deps.pool, tenantId)
    },
  },
  Mutation: {
    runScan: async (_, args, ctx) => {
      const { tenantId } = requireTenant(ctx, 'write-rules')
      if (!(args.from.getTime() < args.to.getTime())) throw new InvalidInputError(`"from" (${args.from.toISOString()}) must be before "to" (${args.to.toISOString()})`, { field: 'from' })
      const ruleIds = await scanRuleIds(ctx, tenantId, args.rules)
      const scan = await createScan(ctx.deps.pool, { tenantId, kind: 'MANUAL', windowFrom: args.from, windowTo: args.to, ruleIds })
      await enqueueScan(ctx.deps.scanQueue, { scanId: scan.id, tenantId })
      return scan
    },
    rescanUpload: async (_, args, ctx) => {
      const { tenantId } = requireTenant(ctx, 'write-rules')
      const upload = isUuid(args.uploadId) ? await ctx.deps.prisma.upload.findFirst({ where: { tenantId, id: args.uploadId }, select: { status: true } }) : null
      if (upload === null) throw new NotFoundError('upload', args.uploadId)
      if (upload.status !== 'SUCCEEDED' && upload.status !== 'SUCCEEDED_WITH_ERRORS') {
        throw new ConflictError(`upload ${args.uploadId} is ${upload.status}: only a processed upload can be rescanned (a queued or running one is evaluated whole when it finishes)`, { field: 'uploadId' })
      }
      const ruleIds = await scanRuleIds(ctx, tenantId, args.rules)
      const scan = await createScan(ctx.deps.pool, { tenantId, kind: 'RESCAN', uploadId: args.uploadId, ruleIds })
      await enqueueScan(ctx.deps.scanQueue, { scanId: scan.id, tenantId })
      return scan
    },
    createScanSchedule: async (_, args, ctx) => {
      const { tenantId } = requireTenant(ctx, 'write-rules')
      await checkScheduleRules(ctx, tenantId, args.input)
      return synced(ctx, await createScanSchedule(ctx.deps.pool, tenantId, args.input, new Date()))
    },
    updateScanSchedule: async (_, args, ctx) => {
      const { tenantId } = requireTenant(ctx, 'write-rules')
      if (!isUuid(args.id)) throw new NotFoundError('scan schedule', args.id)
      await checkScheduleRules(ctx, tenantId, args.input)
      return synced(ctx, await updateScanSchedule(ctx.deps.pool, tenantId, args.id, args.input, new Date()))
    },
    pauseScanSchedule: async (_, args, ctx) => {
      const { tenantId } = requireTenant(ctx, 'write-rules')
      if (!isUuid(args.id)) throw new NotFoundError('scan schedule', args.id)
      return synced(ctx, await setScanSchedulePaused(ctx.deps.pool, tenantId, args.id, true))
    },
    resumeScanSchedule: async (_, args, ctx) => {
      const { tenantId } = requireTenant(ctx, 'write-rules')
      if (!isUuid(args.id)) throw new NotFoundError('scan schedule', args.id)
      return synced(ctx, await setScanSchedulePaused(ctx.deps.pool, tenantId, args.id, false))
    },
    deleteScanSchedule: async (_, args, ctx) => {
      const { tenantId } = requireTenant(ctx, 'write-rules')
      if (!isUuid(args.id)) throw new NotFoundError('scan schedule', args.id)
      await deleteScanSchedule(ctx.deps.pool, tenantId, args.id)
      await removeScanScheduler(ctx.deps.scanQueue, args.id)
      return true
    },
  },
  Scan: {
    backfilled: (s) => s.backfilledFrom !== null,
  },
  ScanSchedule: {
    rules: (s) => ({ all: s.allRules, ruleIds: s.ruleIds, tags: s.tags }),
    windowStart: (s) => formatRelativeTime(s.windowStartSeconds),
    windowEnd: (s) => formatRelativeTime(s.windowEndSeconds),
    nextRunAt: async (s, _, ctx) => {
      if (s.paused) return null
      // The job scheduler's own next run when Redis has it; else computed from the cron expression.
      const scheduler = await ctx.deps.scanQueue.getJobScheduler(schedulerIdOf(s.id)).catch(() => undefined)
      return scheduler?.next !== undefined ? new Date(scheduler.next) : nextCronRun(s.cron, s.timeZone, new Date())
    },
    scans: async (s, args, ctx) =>
      connectionOf(await listScans(ctx.deps.pool, { tenantId: s.tenantId, first: pageSize(args.first, 20, 500), after: args.after, scheduleId: s.id })),
  },
}

/** Named rules of a schedule must exist. */
async function checkScheduleRules(ctx: RequestContext, tenantId: string, input: ScanScheduleInput): Promise<void> {
  const ids = (input.rules?.ids ?? []).filter(isUuid)
  const unknown = await unknownRuleIds(ctx.deps.prisma, tenantId, ids)
  if (unknown.length > 0) throw new NotFoundError('rule', unknown.join(', '))
}
