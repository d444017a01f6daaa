import { fileURLToPath } from 'node:url'
import pg from 'pg'
import { BUNDLED_RULES_DIR } from '../../src/rules/bundled.js'
import { compileLoadedRules, scanLogs, type ScanInput } from '../../src/scan/offline-scan.js'
import { loadRuleFiles } from '../../src/scan/rule-files.js'
import { syntheticLog, type LogSpec } from './synthetic-logs.js'

/**
 * The exact counts a load run must end with, computed apart from the service: the offline scan
 * (`watchpost scan`, the in-memory engine with no Postgres, Redis or worker) over the very bytes
 * each tenant uploaded, with the bundled rules the tenants enabled. Then the comparison with what
 * the service stored and answers over GraphQL: events per upload and per tenant, and every
 * detection row (rule, BY values, count, first and last time).
 */

export interface UploadedFile {
  n: number
  spec: LogSpec
  fileName: string
  uploadId: string
  /** The upload as GET /v1/uploads/:id answered once it had finished. */
  final: { status: string; sizeBytes: number; processEvents: number; errorCount: number; errors?: { line: number; message: string }[]; duplicateEvents?: number }
}

export interface TenantCheck {
  tenant: string
  uploads: number
  expectedEvents: number
  storedEvents: number
  expectedDetections: number
  detections: number
  /** Every difference found, in words; empty when the tenant's counts are exact. */
  mismatches: string[]
}

interface ServiceDetection {
  rule: { escuId: string; name: string }
  fields: Record<string, unknown>
  count: number
  firstTime: string | null
  lastTime: string | null
}

const inputOf = (file: UploadedFile): ScanInput => ({
  name: file.fileName,
  read: async function* () {
    yield syntheticLog(file.spec)
  },
})

/** A key for a detection row that does not depend on the order of its fields. */
const rowKey = (ruleId: string, fields: Record<string, unknown>): string => `${ruleId} ${JSON.stringify(Object.keys(fields).sort().map((k) => [k, fields[k]]))}`

export async function checkTenant(opts: {
  tenant: string
  tenantId: string
  files: UploadedFile[]
  /** A superuser connection to the run's database (sees every tenant's rows). */
  sql: pg.Pool
  /** Pages through the tenant's detections over GraphQL. */
  detections: () => Promise<ServiceDetection[]>
}): Promise<TenantCheck> {
  const { compiled, ruleErrors } = compileLoadedRules(await loadRuleFiles([fileURLToPath(BUNDLED_RULES_DIR)]))
  if (ruleErrors.length > 0) throw new Error(`bundled rules do not compile: ${JSON.stringify(ruleErrors)}`)
  const mismatches: string[] = []

  // Per upload: what the reader makes of its bytes.
  let expectedEvents = 0
  for (const file of opts.files) {
    const { stats } = await scanLogs([], [inputOf(file)])
    expectedEvents += stats.processEvents
    const size = syntheticLog(file.spec).length
    const want = { status: stats.errors.length > 0 ? 'SUCCEEDED_WITH_ERRORS' : 'SUCCEEDED', sizeBytes: size, processEvents: stats.processEvents, errorCount: stats.errors.length }
    const got = { status: file.final.status, sizeBytes: file.final.sizeBytes, processEvents: file.final.processEvents, errorCount: file.final.errorCount }
    if (JSON.stringify(want) !== JSON.stringify(got)) {
      mismatches.push(`upload ${file.fileName} (${file.uploadId}): expected ${JSON.stringify(want)}, got ${JSON.stringify(got)}; errors ${JSON.stringify(file.final.errors?.slice(0, 3))}`)
    }
    if ((file.final.duplicateEvents ?? 0) !== 0) mismatches.push(`upload ${file.fileName}: ${file.final.duplicateEvents} events taken as duplicates`)
  }
  const { rows } = await opts.sql.query<{ n: number }>('SELECT count(*)::int AS n FROM process_events WHERE tenant_id = $1', [opts.tenantId])
  const storedEvents = rows[0]!.n
  if (storedEvents !== expectedEvents) mismatches.push(`stored events: expected ${expectedEvents}, got ${storedEvents}`)

  // Per tenant: the grouped rows of every rule over all its uploads at once.
  const scan = await scanLogs(compiled, opts.files.map(inputOf))
  const expected = new Map(scan.detections.map((d) => [rowKey(d.rule.id, d.fields), { count: d.count, firstTime: d.firstTime, lastTime: d.lastTime, rule: d.rule.name }]))
  const actual = new Map((await opts.detections()).map((d) => [rowKey(d.rule.escuId, d.fields), { count: d.count, firstTime: d.firstTime, lastTime: d.lastTime, rule: d.rule.name }]))
  for (const [key, want] of expected) {
    const got = actual.get(key)
    if (got === undefined) mismatches.push(`missing detection ${want.rule} ${key}`)
    else if (JSON.stringify(got) !== JSON.stringify(want)) mismatches.push(`detection ${key}: expected ${JSON.stringify(want)}, got ${JSON.stringify(got)}`)
  }
  for (const [key, got] of actual) if (!expected.has(key)) mismatches.push(`unexpected detection ${got.rule} ${key}`)
  return { tenant: opts.tenant, uploads: opts.files.length, expectedEvents, storedEvents, expectedDetections: expected.size, detections: actual.size, mismatches: mismatches.slice(0, 20) }
}
