import { parseArgs } from 'node:util'
import type { PrismaClient } from '../../db/prisma.js'
import type { ExceptionEntryInput } from '../../detection/index.js'
import { createRuleException, deleteRuleException, listRuleExceptions, type RuleExceptionRecord } from '../../store/rule-exceptions.js'
import { audited } from '../audited.js'
import { CliError } from '../cli-error.js'
import { USAGE as COMMAND_USAGE } from '../command-help.js'
import { withDatabase } from '../with-database.js'

/**
 * `watchpost exception list|add|delete --tenant NAME …`: a tenant's rule exceptions from a shell,
 * for the operator (tenants use the GraphQL operations). Changes are recorded with the author `cli`
 * and audited as the API's are. Entries are given as JSON, in the API's shape, so that no value
 * (a path with `:` or `,`, a command line with quotes) ever needs a separator of its own.
 */

const USAGE = COMMAND_USAGE.exception

interface Options {
  rule?: string
  entries?: string
  comment?: string
  expires?: string
  'include-expired'?: boolean
  json?: boolean
}

export async function run(args: string[]): Promise<number> {
  const { values, positionals } = parseOptions(args)
  const [sub, id, extra] = positionals
  if (!values.tenant || !['list', 'add', 'delete'].includes(sub ?? '') || extra !== undefined || (sub === 'delete') !== (id !== undefined)) throw new CliError(USAGE, 2)
  return withDatabase(async ({ prisma }) => {
    const tenant = await prisma.tenant.findFirst({ where: { name: values.tenant } })
    if (!tenant) throw new CliError(`no tenant named "${values.tenant}"`)
    if (sub === 'list') return list(prisma, tenant.id, values)
    if (sub === 'add') return add(prisma, tenant.id, values)
    await audited(prisma, { operation: 'deleteRuleException', tenantId: tenant.id, args: { id } }, () => deleteRuleException(prisma, tenant.id, id!))
    out(`deleted ${id}`)
    return 0
  })
}

/** The options, or a usage error naming the one that is wrong. */
function parseOptions(args: string[]) {
  try {
    return parseArgs({
      args,
      allowPositionals: true,
      options: {
        tenant: { type: 'string' },
        rule: { type: 'string' },
        entries: { type: 'string' },
        comment: { type: 'string' },
        expires: { type: 'string' },
        'include-expired': { type: 'boolean', default: false },
        json: { type: 'boolean', default: false },
      },
    })
  } catch (err) {
    throw new CliError(`${(err as Error).message}\n${USAGE}`, 2)
  }
}

const out = (text: string): void => void process.stdout.write(text + '\n')

async function list(prisma: PrismaClient, tenantId: string, values: Options): Promise<number> {
  const rows = await listRuleExceptions(prisma, tenantId, { ruleId: values.rule ?? null, includeExpired: values['include-expired'], now: new Date() })
  if (values.json) out(JSON.stringify(rows))
  else for (const r of rows) out(describe(r))
  return 0
}

async function add(prisma: PrismaClient, tenantId: string, values: Options): Promise<number> {
  if (values.entries === undefined || values.comment === undefined) throw new CliError(`exception add needs --entries and --comment\n${USAGE}`, 2)
  const expiresAt = values.expires === undefined ? null : new Date(values.expires)
  if (expiresAt && Number.isNaN(expiresAt.getTime())) throw new CliError(`--expires is not a date: ${values.expires}`, 2)
  const input = { ruleId: values.rule ?? null, entries: parseEntries(values.entries), expiresAt, comment: values.comment }
  const created = await audited(prisma, { operation: 'createRuleException', tenantId, args: { input } }, () => createRuleException(prisma, { tenantId, keyId: null }, input, { entries: '--entries', comment: '--comment' }))
  out(values.json ? JSON.stringify(created) : `created ${describe(created)}`)
  return 0
}

/** The --entries JSON: an array of entries as the API takes them; checked in depth by the store. */
function parseEntries(text: string): ExceptionEntryInput[] {
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch (err) {
    throw new CliError(`--entries is not JSON: ${(err as Error).message}`, 2)
  }
  const entries = Array.isArray(parsed) ? parsed : [parsed]
  entries.forEach((e, i) => {
    if (typeof e !== 'object' || e === null || typeof e.field !== 'string' || typeof e.operator !== 'string') {
      throw new CliError(`--entries[${i}] must be an object with "field" and "operator" strings and "value" or "values"`, 2)
    }
  })
  return entries as ExceptionEntryInput[]
}

/** One line: id, scope, entries, expiry, author and comment. */
function describe(r: RuleExceptionRecord): string {
  const entries = r.entries.map((e) => `${e.field} ${e.operator} ${JSON.stringify(e.operator === 'IS_ONE_OF' ? e.values : e.values[0])}`).join(' AND ')
  const expiry = r.expiresAt === null ? '' : `  (expires ${r.expiresAt.toISOString()})`
  return `${r.id}  ${r.ruleId === null ? 'all rules' : `rule ${r.ruleId}`}  ${entries}${expiry}  by ${r.author}: ${r.comment}`
}
