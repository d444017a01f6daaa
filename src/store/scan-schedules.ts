import type pg from 'pg'
import { ConflictError, InvalidInputError, NotFoundError } from '../errors.js'
import { nextCronRun, parseRelativeTime } from '../scans/schedule-window.js'
import { isUuid } from './rules.js'

/** The `scan_schedules` table: a tenant's scheduled scans (the BullMQ schedulers derive from it). */

export interface ScanScheduleRecord {
  id: string
  tenantId: string
  name: string
  cron: string
  timeZone: string
  allRules: boolean
  ruleIds: string[]
  tags: string[]
  windowStartSeconds: number
  windowEndSeconds: number
  paused: boolean
  coveredUntil: Date | null
  lastRunAt: Date | null
  createdAt: Date
  updatedAt: Date
}

export interface ScanScheduleInput {
  name: string
  cron: string
  timeZone?: string | null
  /** Relative times as ESCU writes them; defaults -70m and -10m (ESCU's hourly searches). */
  windowStart?: string | null
  windowEnd?: string | null
  rules?: { all?: boolean | null; ids?: string[] | null; tags?: string[] | null } | null
}

const COLUMNS = `id, tenant_id, name, cron, time_zone, all_rules, rule_ids, tags, window_start_seconds, window_end_seconds, paused, covered_until, last_run_at, created_at, updated_at`
const MAX_TAGS = 100
const MAX_RULE_IDS = 1000

function recordOf(r: Record<string, unknown>): ScanScheduleRecord {
  return {
    id: r.id as string,
    tenantId: r.tenant_id as string,
    name: r.name as string,
    cron: r.cron as string,
    timeZone: r.time_zone as string,
    allRules: r.all_rules as boolean,
    ruleIds: r.rule_ids as string[],
    tags: r.tags as string[],
    windowStartSeconds: r.window_start_seconds as number,
    windowEndSeconds: r.window_end_seconds as number,
    paused: r.paused as boolean,
    coveredUntil: r.covered_until as Date | null,
    lastRunAt: r.last_run_at as Date | null,
    createdAt: r.created_at as Date,
    updatedAt: r.updated_at as Date,
  }
}

/** Checks an input and returns the columns it sets; every error names its field. */
export function validateScheduleInput(input: ScanScheduleInput, now: Date): { name: string; cron: string; timeZone: string; allRules: boolean; ruleIds: string[]; tags: string[]; start: number; end: number } {
  const bad = (field: string, message: string): never => {
    throw new InvalidInputError(message, { field })
  }
  const name = input.name.trim()
  if (name.length < 1 || name.length > 200) bad('name', `name must be 1 to 200 characters, got ${name.length}`)
  const timeZone = input.timeZone ?? 'UTC'
  try {
    nextCronRun(input.cron, timeZone, now)
  } catch (err) {
    bad((err as Error).message.startsWith('timeZone') ? 'timeZone' : 'cron', (err as Error).message)
  }
  let start = 0
  let end = 0
  try {
    start = parseRelativeTime(input.windowStart ?? '-70m', 'windowStart')
    end = parseRelativeTime(input.windowEnd ?? '-10m', 'windowEnd')
  } catch (err) {
    bad((err as Error).message.startsWith('windowStart') ? 'windowStart' : 'windowEnd', (err as Error).message)
  }
  if (start >= end) bad('windowStart', `windowStart (${input.windowStart ?? '-70m'}) must be before windowEnd (${input.windowEnd ?? '-10m'})`)
  const ruleIds = [...new Set(input.rules?.ids ?? [])]
  const tags = [...new Set((input.rules?.tags ?? []).map((t) => t.trim()).filter((t) => t !== ''))]
  for (const id of ruleIds) if (!isUuid(id)) bad('rules.ids', `rules.ids: "${id}" is not a rule id`)
  if (ruleIds.length > MAX_RULE_IDS) bad('rules.ids', `rules.ids: at most ${MAX_RULE_IDS} rules, got ${ruleIds.length}`)
  if (tags.length > MAX_TAGS) bad('rules.tags', `rules.tags: at most ${MAX_TAGS} tags, got ${tags.length}`)
  for (const t of tags) if (t.length > 200) bad('rules.tags', `rules.tags: a tag is at most 200 characters`)
  const allRules = input.rules?.all === true || (ruleIds.length === 0 && tags.length === 0)
  return { name, cron: input.cron.trim(), timeZone, allRules, ruleIds, tags, start, end }
}

export async function createScanSchedule(db: pg.Pool, tenantId: string, input: ScanScheduleInput, now: Date): Promise<ScanScheduleRecord> {
  const v = validateScheduleInput(input, now)
  try {
    const { rows } = await db.query(
      `INSERT INTO scan_schedules (tenant_id, name, cron, time_zone, all_rules, rule_ids, tags, window_start_seconds, window_end_seconds)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING ${COLUMNS}`,
      [tenantId, v.name, v.cron, v.timeZone, v.allRules, v.ruleIds, v.tags, v.start, v.end],
    )
    return recordOf(rows[0]!)
  } catch (err) {
    if ((err as { code?: string }).code === '23505') throw new ConflictError(`a scan schedule named "${v.name}" exists already`, { field: 'name' })
    throw err
  }
}

export async function updateScanSchedule(db: pg.Pool, tenantId: string, id: string, input: ScanScheduleInput, now: Date): Promise<ScanScheduleRecord> {
  const v = validateScheduleInput(input, now)
  try {
    const { rows } = await db.query(
      `UPDATE scan_schedules SET name = $3, cron = $4, time_zone = $5, all_rules = $6, rule_ids = $7, tags = $8,
         window_start_seconds = $9, window_end_seconds = $10, updated_at = now()
       WHERE tenant_id = $1 AND id = $2 RETURNING ${COLUMNS}`,
      [tenantId, id, v.name, v.cron, v.timeZone, v.allRules, v.ruleIds, v.tags, v.start, v.end],
    )
    if (rows[0] === undefined) throw new NotFoundError('scan schedule', id)
    return recordOf(rows[0])
  } catch (err) {
    if ((err as { code?: string }).code === '23505') throw new ConflictError(`a scan schedule named "${v.name}" exists already`, { field: 'name' })
    throw err
  }
}

export async function setScanSchedulePaused(db: pg.Pool, tenantId: string, id: string, paused: boolean): Promise<ScanScheduleRecord> {
  const { rows } = await db.query(`UPDATE scan_schedules SET paused = $3, updated_at = now() WHERE tenant_id = $1 AND id = $2 RETURNING ${COLUMNS}`, [tenantId, id, paused])
  if (rows[0] === undefined) throw new NotFoundError('scan schedule', id)
  return recordOf(rows[0])
}

export async function deleteScanSchedule(db: pg.Pool, tenantId: string, id: string): Promise<void> {
  const { rowCount } = await db.query('DELETE FROM scan_schedules WHERE tenant_id = $1 AND id = $2', [tenantId, id])
  if (!rowCount) throw new NotFoundError('scan schedule', id)
}

export async function scanScheduleById(db: pg.Pool | pg.ClientBase, tenantId: string, id: string): Promise<ScanScheduleRecord | null> {
  const { rows } = await db.query(`SELECT ${COLUMNS} FROM scan_schedules WHERE tenant_id = $1 AND id = $2`, [tenantId, id])
  return rows[0] === undefined ? null : recordOf(rows[0])
}

export async function listScanSchedules(db: pg.Pool, tenantId: string): Promise<ScanScheduleRecord[]> {
  const { rows } = await db.query(`SELECT ${COLUMNS} FROM scan_schedules WHERE tenant_id = $1 ORDER BY name`, [tenantId])
  return rows.map(recordOf)
}

/** Every tenant's schedules (system scope): what the job schedulers in Redis must be. */
export async function allScanSchedules(db: pg.Pool): Promise<ScanScheduleRecord[]> {
  const { rows } = await db.query(`SELECT ${COLUMNS} FROM scan_schedules ORDER BY id`)
  return rows.map(recordOf)
}

/** After a run: the next run starts where this window ended (never moving back). */
export async function recordScheduledRun(db: pg.Pool | pg.ClientBase, tenantId: string, id: string, windowTo: Date, ranAt: Date): Promise<void> {
  await db.query(
    `UPDATE scan_schedules SET covered_until = GREATEST(covered_until, $3), last_run_at = $4 WHERE tenant_id = $1 AND id = $2`,
    [tenantId, id, windowTo, ranAt],
  )
}
