import { parseArgs } from 'node:util'
import { createTenant, deleteTenant, listTenants, setTenantStatus } from '../../store/tenants.js'
import { CliError } from '../cli-error.js'
import { withDatabase } from '../with-database.js'

/** `watchpost tenant create NAME [--json]` (prints the first API key, once), `list`, `suspend`, `resume`, `delete`. */
export async function run(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { json: { type: 'boolean', default: false } } })
  const [sub, name, extra] = positionals
  const usage = 'usage: watchpost tenant create NAME [--json] | tenant list [--json] | tenant suspend|resume|delete NAME'
  if (!sub || !['create', 'list', 'suspend', 'resume', 'delete'].includes(sub) || (sub !== 'list' && !name) || extra !== undefined) throw new CliError(usage, 2)
  return withDatabase(async ({ pool, prisma }) => {
    if (sub === 'list') {
      const tenants = await listTenants(prisma)
      process.stdout.write(values.json ? JSON.stringify(tenants.map((t) => ({ id: t.id, name: t.name, status: t.status }))) + '\n' : tenants.map((t) => `${t.id}  ${t.status.padEnd(9)}  ${t.name}\n`).join(''))
      return 0
    }
    if (sub !== 'create') {
      const tenant = await prisma.tenant.findUnique({ where: { name: name! } })
      if (!tenant) throw new CliError(`no tenant named "${name}"`)
      if (sub === 'delete') await deleteTenant(pool, tenant.id)
      else await setTenantStatus(prisma, tenant.id, sub === 'suspend' ? 'SUSPENDED' : 'ACTIVE')
      process.stdout.write(`tenant ${name} ${sub === 'delete' ? 'deleted with all its data' : sub === 'suspend' ? 'suspended' : 'resumed'}\n`)
      return 0
    }
    const created = await createTenant(prisma, name!)
    if (values.json) {
      process.stdout.write(JSON.stringify({ tenant: { id: created.tenant.id, name: created.tenant.name }, apiKey: created.apiKey }) + '\n')
    } else {
      process.stdout.write(`tenant ${created.tenant.name} created (id ${created.tenant.id})\nAPI key (shown once, keep it safe): ${created.apiKey}\n`)
    }
    return 0
  })
}
