import type { PrismaClient } from '../db/prisma.js'
import { InvalidInputError, NotFoundError } from '../errors.js'
import { parseRelativeTime } from '../scans/schedule-window.js'
import { isUuid } from './rules.js'
import { loadRulesForEvaluation } from './tenant-rules.js'

/** Setting a rule's alert suppression and cap (what they do: store/detection-alerting.ts). */

export interface RuleAlertingInput {
  /** BY output fields of the rule (at most 3); empty or absent: no suppression. */
  suppressBy?: string[] | null
  /** The window, e.g. 1h, 30m, 2d (60 s .. 30 d); required with suppressBy. */
  suppressWindow?: string | null
  /** 1..1,000,000; null: no cap. */
  maxDetectionsPerRun?: number | null
}

const MIN_WINDOW_S = 60
const MAX_WINDOW_S = 30 * 86400

export async function setRuleAlerting(prisma: PrismaClient, tenantId: string, id: string, input: RuleAlertingInput) {
  if (!isUuid(id)) throw new NotFoundError('rule', id)
  const loaded = await loadRulesForEvaluation(prisma, tenantId, { ruleIds: [id] })
  const rule = loaded.rules[0]
  const fields = [...new Set((input.suppressBy ?? []).map((f) => f.trim()))]
  if (fields.length > 0) {
    if (rule === undefined) throw new InvalidInputError(`rule ${id} does not compile (${loaded.failures[0]?.message}); its BY fields are unknown`, { field: 'suppressBy' })
    if (fields.length > 3) throw new InvalidInputError(`suppressBy: at most 3 fields, got ${fields.length}`, { field: 'suppressBy' })
    const by = rule.compiled.byFields
    const unknown = fields.filter((f) => !by.includes(f))
    if (unknown.length > 0) throw new InvalidInputError(`suppressBy: ${unknown.join(', ')} ${unknown.length === 1 ? 'is not a BY field' : 'are not BY fields'} of the rule; its BY fields are ${by.join(', ')}`, { field: 'suppressBy' })
  }
  let windowSeconds: number | null = null
  if (fields.length > 0) {
    if (!input.suppressWindow) throw new InvalidInputError('suppressWindow is required with suppressBy (e.g. "1h")', { field: 'suppressWindow' })
    try {
      windowSeconds = -parseRelativeTime(`-${input.suppressWindow.trim()}`, 'suppressWindow')
    } catch {
      throw new InvalidInputError(`suppressWindow: "${input.suppressWindow}" is not a duration like 30m, 1h or 2d`, { field: 'suppressWindow' })
    }
    if (windowSeconds < MIN_WINDOW_S || windowSeconds > MAX_WINDOW_S) throw new InvalidInputError(`suppressWindow: ${input.suppressWindow} is outside 1m .. 30d`, { field: 'suppressWindow' })
  } else if (input.suppressWindow) {
    throw new InvalidInputError('suppressWindow without suppressBy: name the fields to suppress by', { field: 'suppressWindow' })
  }
  const max = input.maxDetectionsPerRun ?? null
  if (max !== null && !(Number.isInteger(max) && max >= 1 && max <= 1_000_000)) throw new InvalidInputError(`maxDetectionsPerRun must be 1 .. 1,000,000, got ${max}`, { field: 'maxDetectionsPerRun' })
  const { count } = await prisma.rule.updateMany({ where: { tenantId, id }, data: { suppressBy: fields, suppressWindowSeconds: windowSeconds, maxDetectionsPerRun: max } })
  if (count === 0) throw new NotFoundError('rule', id)
  return prisma.rule.findFirstOrThrow({ where: { tenantId, id } })
}
