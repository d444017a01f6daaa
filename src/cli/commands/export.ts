import { createWriteStream } from 'node:fs'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { parseArgs } from 'node:util'
import { loadNavigatorLayer } from '../../attack-coverage/load-coverage.js'
import { loadConfig } from '../../config.js'
import { DomainError } from '../../errors.js'
import { parseDetectionsExport, parseRiskEventsExport, type RawParams } from '../../export/export-request.js'
import { openExport } from '../../export/open-export.js'
import { CliError } from '../cli-error.js'
import { USAGE as COMMAND_USAGE } from '../command-help.js'
import { withDatabase } from '../with-database.js'

/**
 * `watchpost export detections|risk-events|attack-layer --tenant NAME`: the same exports as
 * GET /v1/exports/… (same formats, layouts, filters and checks), for the operator's shell. The CLI
 * sees every tenant, so the tenant is always named; rows stream to standard output or to --out.
 */

const USAGE = COMMAND_USAGE.export

/** CLI option → export parameter (the HTTP query's names). */
const PARAMS: Record<string, string> = {
  format: 'format',
  layout: 'layout',
  'rule-id': 'ruleId',
  'mitre-technique': 'mitreTechnique',
  dest: 'dest',
  user: 'user',
  from: 'from',
  to: 'to',
  status: 'status',
  assignee: 'assignee',
  assigned: 'assigned',
  object: 'object',
  type: 'type',
}

export async function run(args: string[]): Promise<number> {
  let parsed
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: { tenant: { type: 'string' }, out: { type: 'string' }, ...Object.fromEntries(Object.keys(PARAMS).map((o) => [o, { type: 'string' as const }])) },
    })
  } catch (err) {
    throw new CliError(`${(err as Error).message}\n${USAGE}`, 2)
  }
  const { values, positionals } = parsed
  const [kind, extra] = positionals
  if (!['detections', 'risk-events', 'attack-layer'].includes(kind ?? '') || extra !== undefined || !values.tenant) throw new CliError(USAGE, 2)
  const raw: RawParams = {}
  const given = values as Record<string, string | undefined>
  for (const [option, param] of Object.entries(PARAMS)) if (given[option] !== undefined) raw[param] = given[option]
  const batchSize = loadConfig(process.env).exportBatchRows
  return withDatabase(async ({ pool, prisma }) => {
    const tenant = await prisma.tenant.findFirst({ where: { name: values.tenant } })
    if (!tenant) throw new CliError(`no tenant named "${values.tenant}"`)
    const chunks = await usageErrors(async () => {
      if (kind === 'attack-layer') {
        if (Object.keys(raw).length > 0) throw new CliError(`export attack-layer takes only --tenant and --out\n${USAGE}`, 2)
        return (async function* () {
          yield JSON.stringify(await loadNavigatorLayer(pool, tenant.id, new Date()), null, 2) + '\n'
        })()
      }
      const request = kind === 'detections' ? parseDetectionsExport(raw) : parseRiskEventsExport(raw)
      return (await openExport(pool, tenant.id, request, { batchSize, now: new Date() })).chunks
    })
    await pipeline(Readable.from(chunks), values.out ? createWriteStream(values.out) : process.stdout)
    return 0
  })
}

/** A bad option value (a DomainError with a field) is a usage error: exit status 2, named by its option. */
async function usageErrors<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn()
  } catch (err) {
    if (err instanceof DomainError && err.code === 'BAD_USER_INPUT') {
      const field = err.details?.field
      const option = Object.entries(PARAMS).find(([, p]) => p === field)?.[0]
      throw new CliError(option ? `--${option}: ${err.message}` : err.message, 2)
    }
    throw err
  }
}
