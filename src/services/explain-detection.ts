import { compileRule, explainMatch, type ProcessEvent, type RuleDefinition, type TermExplanation } from '../detection/index.js'
import { NotFoundError } from '../errors.js'
import type { AppDeps } from '../graphql/context.js'
import { findSampleEvent } from '../sql-backend/index.js'
import { isUuid, loadMacroSet } from '../store/rules.js'

/**
 * Why a grouped detection exists: the WHERE terms it satisfied, field by field, shown on one of
 * its stored events (e.g. `process_name="ngrok.exe"` ← `ngrok.exe`, `process="*tcp*"` ←
 * `ngrok.exe tcp 3389`), evaluated with the rule's current macros.
 */

export interface DetectionExplanation {
  detectionId: string
  ruleId: string
  /** The event the terms were evaluated on; null when its events are gone (e.g. retention). */
  event: ProcessEvent | null
  terms: TermExplanation[]
}

export async function explainDetection(deps: AppDeps, tenantId: string, detectionId: string): Promise<DetectionExplanation> {
  const detection = isUuid(detectionId) ? await deps.prisma.detection.findFirst({ where: { id: detectionId, tenantId } }) : null
  if (!detection) throw new NotFoundError('Detection', detectionId)
  const rule = await deps.prisma.rule.findFirst({ where: { id: detection.ruleId, tenantId } })
  if (!rule) throw new NotFoundError('Rule', detection.ruleId)
  const compiled = compileRule(rule.definition as unknown as RuleDefinition, await loadMacroSet(deps.prisma, tenantId))
  const event = await findSampleEvent(deps.pool, compiled, { tenantId }, detection.fields as Record<string, string>)
  return { detectionId: detection.id, ruleId: rule.id, event, terms: event ? explainMatch(compiled.where, event) : [] }
}
