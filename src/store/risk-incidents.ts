import type pg from 'pg'
import { withTransaction } from '../db/transaction.js'
import { ConflictError, InvalidInputError, NotFoundError } from '../errors.js'
import { decodeTimeCursor, encodeCursor } from './cursor.js'
import { RISK_EVENT_COLUMNS, riskEventRecord, type RiskEventRecord, type RiskEventRow } from './detections-query.js'
import { isUuid } from './rules.js'

/**
 * Risk incidents, as Splunk ES risk-based alerting: a tenant's risk incident rules are evaluated in
 * SQL over risk_events for the risk objects an upload touched (risk-incident-evaluation.ts, from
 * jobs/process-upload.ts), and raise an incident for an object that meets one. This file holds
 * the rules, the incidents and their queries. Two kinds of rule:
 *  - SCORE_THRESHOLD: the object's risk scores summed over the window exceed `scoreThreshold`
 *    (strictly: ES's default is "over 100 in 24 hours");
 *  - TACTIC_SPREAD: the object's risk events in the window carry at least `minTactics` distinct
 *    ATT&CK tactics and come from at least `minDetections` distinct detection rules (ES: 3 and 4
 *    over 7 days; ES counts distinct sources, i.e. correlation searches — here detection rules).
 * The window ends at the evaluation time `now` (risk events with now - window < time <= now).
 * Every tenant has both ES defaults (created on first use; editable, disable-able, not deletable).
 *
 * At most one open (NEW or ACKNOWLEDGED) incident per rule and object: re-evaluating updates it
 * (score, tactics, counts, window; its status stays). A CLOSED incident is not reopened; a new one
 * opens only when risk events written after the close meet the rule again. An open incident whose
 * object no longer meets the rule is left as it is, for an analyst to close.
 */

export type RiskIncidentRuleKind = 'SCORE_THRESHOLD' | 'TACTIC_SPREAD'
export type RiskIncidentStatus = 'NEW' | 'ACKNOWLEDGED' | 'CLOSED'
export const RISK_INCIDENT_STATUSES: readonly RiskIncidentStatus[] = ['NEW', 'ACKNOWLEDGED', 'CLOSED']
const KINDS: readonly RiskIncidentRuleKind[] = ['SCORE_THRESHOLD', 'TACTIC_SPREAD']

export const MAX_WINDOW_HOURS = 8784

/** The ES defaults every tenant has. */
export const BUILTIN_RISK_INCIDENT_RULES = [
  { builtin: 'score_24h', name: 'Risk Threshold Exceeded For Object Over 24 Hour Period', kind: 'SCORE_THRESHOLD', scoreThreshold: 100, minTactics: null, minDetections: null, windowHours: 24 },
  { builtin: 'tactics_7d', name: 'ATT&CK Tactic Threshold Exceeded For Object Over Previous 7 Days', kind: 'TACTIC_SPREAD', scoreThreshold: null, minTactics: 3, minDetections: 4, windowHours: 168 },
] as const

export interface RiskIncidentRuleRecord {
  id: string
  name: string
  kind: RiskIncidentRuleKind
  builtin: string | null
  enabled: boolean
  scoreThreshold: number | null
  minTactics: number | null
  minDetections: number | null
  windowHours: number
  createdAt: Date
  updatedAt: Date
}

interface RuleRow {
  id: string
  name: string
  kind: RiskIncidentRuleKind
  builtin: string | null
  enabled: boolean
  score_threshold: number | null
  min_tactics: number | null
  min_detections: number | null
  window_hours: number
  created_at: Date
  updated_at: Date
}

const RULE_COLUMNS = 'id, name, kind, builtin, enabled, score_threshold, min_tactics, min_detections, window_hours, created_at, updated_at'

const ruleRecord = (r: RuleRow): RiskIncidentRuleRecord => ({
  id: r.id,
  name: r.name,
  kind: r.kind,
  builtin: r.builtin,
  enabled: r.enabled,
  scoreThreshold: r.score_threshold,
  minTactics: r.min_tactics,
  minDetections: r.min_detections,
  windowHours: r.window_hours,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
})

export interface RiskIncidentRecord {
  id: string
  ruleId: string
  riskObject: string
  riskObjectType: string
  windowStart: Date
  windowEnd: Date
  score: number
  tactics: string[]
  detectionCount: number
  riskEventCount: number
  status: RiskIncidentStatus
  statusChangedAt: Date
  createdAt: Date
  updatedAt: Date
}

interface IncidentRow {
  id: string
  rule_id: string
  risk_object: string
  risk_object_type: string
  window_start: Date
  window_end: Date
  score: string
  tactics: string[]
  detection_count: number
  risk_event_count: number
  status: RiskIncidentStatus
  status_changed_at: Date
  created_at: Date
  updated_at: Date
}

const INCIDENT_COLUMNS =
  'i.id, i.rule_id, i.risk_object, i.risk_object_type, i.window_start, i.window_end, i.score, i.tactics, i.detection_count, i.risk_event_count, i.status, i.status_changed_at, i.created_at, i.updated_at'

const incidentRecord = (r: IncidentRow): RiskIncidentRecord => ({
  id: r.id,
  ruleId: r.rule_id,
  riskObject: r.risk_object,
  riskObjectType: r.risk_object_type,
  windowStart: r.window_start,
  windowEnd: r.window_end,
  score: Number(r.score),
  tactics: r.tactics,
  detectionCount: r.detection_count,
  riskEventCount: r.risk_event_count,
  status: r.status,
  statusChangedAt: r.status_changed_at,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
})

export type Queryable = Pick<pg.ClientBase, 'query'>

/** Creates the tenant's built-in ES default rules if they are missing (idempotent). */
export async function ensureBuiltinRiskIncidentRules(db: Queryable, tenantId: string): Promise<void> {
  const b = BUILTIN_RISK_INCIDENT_RULES
  await db.query(
    `INSERT INTO risk_incident_rules (tenant_id, builtin, name, kind, score_threshold, min_tactics, min_detections, window_hours)
     SELECT $1::uuid, * FROM unnest($2::text[], $3::text[], $4::"RiskIncidentRuleKind"[], $5::int[], $6::int[], $7::int[], $8::int[])
     ON CONFLICT DO NOTHING`,
    [tenantId, b.map((r) => r.builtin), b.map((r) => r.name), b.map((r) => r.kind), b.map((r) => r.scoreThreshold), b.map((r) => r.minTactics), b.map((r) => r.minDetections), b.map((r) => r.windowHours)],
  )
}

/** The tenant's risk incident rules: the built-in ones first, then by name. */
export async function listRiskIncidentRules(pool: pg.Pool, tenantId: string): Promise<RiskIncidentRuleRecord[]> {
  await ensureBuiltinRiskIncidentRules(pool, tenantId)
  const { rows } = await pool.query<RuleRow>(`SELECT ${RULE_COLUMNS} FROM risk_incident_rules WHERE tenant_id = $1 ORDER BY builtin IS NULL, builtin, name, id`, [tenantId])
  return rows.map(ruleRecord)
}

export async function riskIncidentRuleById(pool: pg.Pool, tenantId: string, id: string): Promise<RiskIncidentRuleRecord | null> {
  if (!isUuid(id)) return null
  const { rows } = await pool.query<RuleRow>(`SELECT ${RULE_COLUMNS} FROM risk_incident_rules WHERE id = $1 AND tenant_id = $2`, [id, tenantId])
  return rows[0] ? ruleRecord(rows[0]) : null
}

export interface RiskIncidentRuleInput {
  name?: string | null
  kind?: RiskIncidentRuleKind | null
  enabled?: boolean | null
  scoreThreshold?: number | null
  minTactics?: number | null
  minDetections?: number | null
  windowHours?: number | null
}

function checkInt(v: number | null | undefined, field: string, min: number, max: number): void {
  if (v === null || v === undefined) return
  if (!Number.isInteger(v) || v < min || v > max) throw new InvalidInputError(`${field} must be an integer from ${min} to ${max}`, { field, min, max })
}

function checkName(name: string | null | undefined): string | undefined {
  if (name === null || name === undefined) return undefined
  const trimmed = name.trim()
  if (trimmed === '' || [...trimmed].length > 200) throw new InvalidInputError('name must be 1 to 200 characters', { field: 'name' })
  if (/[\u0000-\u001f\u007f]/.test(trimmed)) throw new InvalidInputError('name must not contain control characters', { field: 'name' })
  return trimmed
}

/**
 * Creates a custom rule (no `id`: `kind`, `name` and the kind's thresholds required) or changes one
 * (`id`: the fields given; a rule's kind never changes). Built-in rules may be edited and disabled.
 */
export async function setRiskIncidentRule(pool: pg.Pool, tenantId: string, id: string | null | undefined, input: RiskIncidentRuleInput): Promise<RiskIncidentRuleRecord> {
  const name = checkName(input.name)
  checkInt(input.scoreThreshold, 'scoreThreshold', 0, 1_000_000_000)
  checkInt(input.minTactics, 'minTactics', 1, 100)
  checkInt(input.minDetections, 'minDetections', 1, 10_000)
  checkInt(input.windowHours, 'windowHours', 1, MAX_WINDOW_HOURS)
  if (input.kind != null && !KINDS.includes(input.kind)) throw new InvalidInputError(`kind must be one of ${KINDS.join(', ')}`, { field: 'kind' })
  return withTransaction(pool, async (client) => {
    await ensureBuiltinRiskIncidentRules(client, tenantId)
    try {
      if (id === null || id === undefined) {
        if (!input.kind) throw new InvalidInputError('kind is required for a new rule', { field: 'kind' })
        if (!name) throw new InvalidInputError('name is required for a new rule', { field: 'name' })
        if (input.windowHours == null) throw new InvalidInputError('windowHours is required for a new rule', { field: 'windowHours' })
        const score = input.kind === 'SCORE_THRESHOLD'
        if (score ? input.scoreThreshold == null : input.minTactics == null || input.minDetections == null) {
          throw new InvalidInputError(score ? 'a SCORE_THRESHOLD rule needs scoreThreshold' : 'a TACTIC_SPREAD rule needs minTactics and minDetections', { field: 'kind' })
        }
        const { rows } = await client.query<RuleRow>(
          `INSERT INTO risk_incident_rules (tenant_id, name, kind, enabled, score_threshold, min_tactics, min_detections, window_hours)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING ${RULE_COLUMNS}`,
          [tenantId, name, input.kind, input.enabled ?? true, score ? input.scoreThreshold : null, score ? null : input.minTactics, score ? null : input.minDetections, input.windowHours],
        )
        return ruleRecord(rows[0]!)
      }
      const { rows: found } = isUuid(id)
        ? await client.query<RuleRow>(`SELECT ${RULE_COLUMNS} FROM risk_incident_rules WHERE id = $1 AND tenant_id = $2 FOR UPDATE`, [id, tenantId])
        : { rows: [] }
      const rule = found[0]
      if (!rule) throw new NotFoundError('RiskIncidentRule', id)
      if (input.kind != null && input.kind !== rule.kind) throw new InvalidInputError('a rule’s kind cannot change; create a new rule instead', { field: 'kind' })
      const score = rule.kind === 'SCORE_THRESHOLD'
      if (score && (input.minTactics != null || input.minDetections != null)) throw new InvalidInputError('minTactics and minDetections apply to TACTIC_SPREAD rules only', { field: 'kind' })
      if (!score && input.scoreThreshold != null) throw new InvalidInputError('scoreThreshold applies to SCORE_THRESHOLD rules only', { field: 'kind' })
      const { rows } = await client.query<RuleRow>(
        `UPDATE risk_incident_rules SET name = coalesce($3, name), enabled = coalesce($4, enabled), score_threshold = coalesce($5, score_threshold),
           min_tactics = coalesce($6, min_tactics), min_detections = coalesce($7, min_detections), window_hours = coalesce($8, window_hours), updated_at = now()
         WHERE id = $1 AND tenant_id = $2 RETURNING ${RULE_COLUMNS}`,
        [id, tenantId, name ?? null, input.enabled ?? null, input.scoreThreshold ?? null, input.minTactics ?? null, input.minDetections ?? null, input.windowHours ?? null],
      )
      return ruleRecord(rows[0]!)
    } catch (err) {
      if ((err as { code?: string }).code === '23505') throw new ConflictError(`a risk incident rule named "${name}" exists already`, { field: 'name' })
      throw err
    }
  })
}

export interface RiskIncidentQuery {
  tenantId: string
  status?: readonly RiskIncidentStatus[] | null
  riskObject?: string | null
  ruleKind?: RiskIncidentRuleKind | null
  first: number
  after?: string | null
}

/** The tenant's incidents, newest first (keyset on created_at, id). */
export async function queryRiskIncidents(
  pool: pg.Pool,
  q: RiskIncidentQuery,
): Promise<{ records: { cursor: string; record: RiskIncidentRecord }[]; hasNextPage: boolean; totalCount: number }> {
  const params: unknown[] = [q.tenantId]
  const parts = ['i.tenant_id = $1']
  const add = (sql: string, v: unknown): void => {
    params.push(v)
    parts.push(sql.replaceAll('$?', `$${params.length}`))
  }
  if (q.status != null) add('i.status = ANY($?::"RiskIncidentStatus"[])', q.status)
  if (q.riskObject != null) add('lower(i.risk_object) = lower($?)', q.riskObject)
  if (q.ruleKind != null) add('r.kind = $?::"RiskIncidentRuleKind"', q.ruleKind)
  const from = 'FROM risk_incidents i JOIN risk_incident_rules r ON r.id = i.rule_id'
  const total = await pool.query<{ n: string }>(`SELECT count(*) AS n ${from} WHERE ${parts.join(' AND ')}`, params)
  if (q.after) {
    const c = decodeTimeCursor(q.after)
    params.push(c.time, c.id)
    parts.push(`(i.created_at, i.id) < ($${params.length - 1}, $${params.length}::uuid)`)
  }
  params.push(q.first + 1)
  const { rows } = await pool.query<IncidentRow>(
    `SELECT ${INCIDENT_COLUMNS} ${from} WHERE ${parts.join(' AND ')} ORDER BY i.created_at DESC, i.id DESC LIMIT $${params.length}`,
    params,
  )
  const page = rows.slice(0, q.first).map(incidentRecord)
  return {
    records: page.map((record) => ({ cursor: encodeCursor(String(record.createdAt.getTime()), record.id), record })),
    hasNextPage: rows.length > q.first,
    totalCount: Number(total.rows[0]!.n),
  }
}

const WINDOW_EVENTS = `FROM risk_events WHERE tenant_id = $1 AND risk_object_type = $2 AND risk_object = $3 AND time > $4 AND time <= $5`
const windowParams = (tenantId: string, i: RiskIncidentRecord): unknown[] => [tenantId, i.riskObjectType, i.riskObject, i.windowStart, i.windowEnd]

/** The risk events an incident was raised on (its object's, in its window), newest first, at most `first`. */
export async function riskEventsOfIncident(pool: pg.Pool, tenantId: string, incident: RiskIncidentRecord, first: number): Promise<RiskEventRecord[]> {
  const { rows } = await pool.query<RiskEventRow>(
    `SELECT ${RISK_EVENT_COLUMNS} ${WINDOW_EVENTS} ORDER BY time DESC, id DESC LIMIT $6`,
    [...windowParams(tenantId, incident), first],
  )
  return rows.map(riskEventRecord)
}

/** The detection rules (ids) of an incident's risk events. */
export async function ruleIdsOfIncident(pool: pg.Pool, tenantId: string, incident: RiskIncidentRecord): Promise<string[]> {
  const { rows } = await pool.query<{ rule_id: string }>(`SELECT DISTINCT rule_id ${WINDOW_EVENTS}`, windowParams(tenantId, incident))
  return rows.map((r) => r.rule_id)
}

/**
 * Moves an incident through triage (NEW, ACKNOWLEDGED, CLOSED; any move allowed). Reopening a
 * closed incident while another is open for the same rule and object is a CONFLICT.
 */
export async function setRiskIncidentStatus(pool: pg.Pool, tenantId: string, id: string, status: RiskIncidentStatus): Promise<RiskIncidentRecord> {
  if (!RISK_INCIDENT_STATUSES.includes(status)) throw new InvalidInputError(`status must be one of ${RISK_INCIDENT_STATUSES.join(', ')}`, { field: 'status' })
  if (!isUuid(id)) throw new NotFoundError('RiskIncident', id)
  try {
    const { rows } = await pool.query<IncidentRow>(
      `UPDATE risk_incidents i SET status = $3,
         status_changed_at = CASE WHEN i.status = $3 THEN i.status_changed_at ELSE now() END,
         updated_at = CASE WHEN i.status = $3 THEN i.updated_at ELSE now() END
       WHERE i.id = $1 AND i.tenant_id = $2 RETURNING ${INCIDENT_COLUMNS}`,
      [id, tenantId, status],
    )
    if (!rows[0]) throw new NotFoundError('RiskIncident', id)
    return incidentRecord(rows[0])
  } catch (err) {
    if ((err as { code?: string }).code === '23505') throw new ConflictError('another incident is open for the same rule and risk object; close it first', { field: 'status' })
    throw err
  }
}
