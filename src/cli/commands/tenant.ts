import { parseArgs } from 'node:util'
import { setRetentionDays } from '../../store/tenant-retention.js'
import { createTenant, deleteTenant, listTenants, setTenantStatus } from '../../store/tenants.js'
import { audited } from '../audited.js'
import { CliError } from '../cli-error.js'
import { USAGE as COMMAND_USAGE } from '../command-help.js'
import { withDatabase } from '../with-database.js'
import { runTenantLimits } from './tenant-limits.js'

/**
 * `watchpost tenant create NAME [--json]` (prints the first API key, once), `list`, `suspend`,
 * `resume`, `delete`, and `retention NAME --days N|--forever` (how long its events are kept).
 */
export async function run(args: string[]): Promise<number> {
  if (args[0] === 'limits') return runTenantLimits(args.slice(1))
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { json: { type: 'boolean', default: false }, days: { type: 'string' }, forever: { type: 'boolean', default: false } },
  })
  const [sub, name, extra] = positionals
  const usage = COMMAND_USAGE.tenant
  if (!sub || !['create', 'list', 'suspend', 'resume', 'delete', 'retention'].includes(sub) || (sub !== 'list' && !name) || extra !== undefined) throw new CliError(usage, 2)
  const retentionDays = sub === 'retention' ? parseRetention(values, usage) : undefined
  if (sub !== 'retention' && (values.days !== undefined || values.forever)) throw new CliError(usage, 2)
  return withDatabase(async ({ pool, prisma }) => {
    if (sub === 'list') {
      const tenants = await listTenants(prisma)
      const kept = (days: number | null): string => (days === null ? 'forever' : `${days}d`)
      process.stdout.write(
        values.json
          ? JSON.stringify(tenants.map((t) => ({ id: t.id, name: t.name, status: t.status, retentionDays: t.retentionDays }))) + '\n'
          : tenants.map((t) => `${t.id}  ${t.status.padEnd(9)}  ${kept(t.retentionDays).padEnd(7)}  ${t.name}\n`).join(''),
      )
      return 0
    }
    if (sub === 'retention') {
      const tenant = await prisma.tenant.findFirst({ where: { name: name! } })
      if (!tenant) throw new CliError(`no tenant named "${name}"`)
      const updated = await audited(prisma, { operation: 'setRetentionPeriod', tenantId: tenant.id, args: { days: retentionDays } }, () => setRetentionDays(prisma, tenant.id, retentionDays!))
      process.stdout.write(`tenant ${name} keeps its events ${updated.retentionDays === null ? 'forever' : `for ${updated.retentionDays} days`}\n`)
      return 0
    }
    if (sub !== 'create') {
      const tenant = await prisma.tenant.findFirst({ where: { name: name! } })
      if (!tenant) throw new CliError(`no tenant named "${name}"`)
      const operation = sub === 'delete' ? 'deleteTenant' : sub === 'suspend' ? 'suspendTenant' : 'resumeTenant'
      await audited<unknown>(prisma, { operation, tenantId: tenant.id, args: { id: tenant.id } }, () =>
        sub === 'delete' ? deleteTenant(pool, tenant.id) : setTenantStatus(prisma, tenant.id, sub === 'suspend' ? 'SUSPENDED' : 'ACTIVE'),
      )
      process.stdout.write(`tenant ${name} ${sub === 'delete' ? 'deleted with all its data' : sub === 'suspend' ? 'suspended' : 'resumed'}\n`)
      return 0
    }
    const created = await audited(prisma, { operation: 'createTenant', tenantId: null, args: { name } }, () => createTenant(prisma, name!))
    if (values.json) {
      process.stdout.write(JSON.stringify({ tenant: { id: created.tenant.id, name: created.tenant.name }, apiKey: created.apiKey }) + '\n')
    } else {
      process.stdout.write(`tenant ${created.tenant.name} created (id ${created.tenant.id})\nAPI key (shown once, keep it safe): ${created.apiKey}\n`)
    }
    return 0
  })
}

/** `--days N` (a whole number; its range is checked with the GraphQL rule) or `--forever` (null), exactly one. */
function parseRetention(values: { days?: string; forever?: boolean }, usage: string): number | null {
  if ((values.days === undefined) === !values.forever) throw new CliError(usage, 2)
  if (values.forever) return null
  if (!/^\d+$/.test(values.days!)) throw new CliError(`--days must be a whole number of days, not "${values.days}"`, 2)
  return Number(values.days)
}
