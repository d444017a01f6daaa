import { describeDetection, type CompiledRule, type DetectionView, type RuleDefinition } from '../detection/index.js'
import { compileRule } from '../detection/index.js'
import { NotFoundError } from '../errors.js'
import type { AppDeps } from '../graphql/context.js'
import { runGroupedQuery } from '../sql-backend/index.js'
import { findRule, loadMacroSet } from '../store/rules.js'
import { findUpload } from '../store/uploads-query.js'
import { compileDraftRule } from './draft-rule.js'

/**
 * Trying rules out on stored data without writing anything: a preview of a draft over one upload
 * (Elastic's preview, Panther's replay), and the impact of replacing a rule by a draft.
 */

export interface RulePreview {
  uploadId: string
  eventsExamined: number
  detections: DetectionView[]
}

async function requireUpload(deps: AppDeps, tenantId: string, uploadId: string) {
  const upload = await findUpload(deps.prisma, tenantId, uploadId)
  if (!upload) throw new NotFoundError('Upload', uploadId)
  return upload
}

async function runOverUpload(deps: AppDeps, tenantId: string, uploadId: string, rule: CompiledRule): Promise<DetectionView[]> {
  const rows = await runGroupedQuery(deps.pool, rule, { tenantId, uploadId })
  return rows.map(describeDetection)
}

export async function previewRule(deps: AppDeps, tenantId: string, yaml: string, uploadId: string): Promise<RulePreview> {
  const upload = await requireUpload(deps, tenantId, uploadId)
  const draft = await compileDraftRule(deps.prisma, tenantId, yaml)
  return { uploadId, eventsExamined: upload.processEvents, detections: await runOverUpload(deps, tenantId, uploadId, draft) }
}

export interface RuleImpact {
  uploadId: string
  /** Detections the draft produces that the current rule does not. */
  added: DetectionView[]
  /** Detections the current rule produces that the draft does not. */
  removed: DetectionView[]
  /** Detections both produce (same BY values), possibly with other counts. */
  unchanged: number
}

export async function ruleImpact(deps: AppDeps, tenantId: string, ruleId: string, yaml: string, uploadId: string): Promise<RuleImpact> {
  const row = await findRule(deps.prisma, tenantId, ruleId)
  if (!row) throw new NotFoundError('Rule', ruleId)
  await requireUpload(deps, tenantId, uploadId)
  const current = compileRule(row.definition as unknown as RuleDefinition, await loadMacroSet(deps.prisma, tenantId))
  const draft = await compileDraftRule(deps.prisma, tenantId, yaml)
  const [before, after] = await Promise.all([runOverUpload(deps, tenantId, uploadId, current), runOverUpload(deps, tenantId, uploadId, draft)])
  const keyOf = (d: DetectionView): string => JSON.stringify(d.fields)
  const beforeKeys = new Set(before.map(keyOf))
  const afterKeys = new Set(after.map(keyOf))
  return {
    uploadId,
    added: after.filter((d) => !beforeKeys.has(keyOf(d))),
    removed: before.filter((d) => !afterKeys.has(keyOf(d))),
    unchanged: after.filter((d) => beforeKeys.has(keyOf(d))).length,
  }
}
