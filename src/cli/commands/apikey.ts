import { parseArgs } from 'node:util'
import type { PrismaClient } from '../../db/prisma.js'
import { checkNewKey, createApiKey, listApiKeys, revokeApiKey, type ApiKeyRole } from '../../store/api-keys.js'
import { audited } from '../audited.js'
import { CliError } from '../cli-error.js'
import { USAGE as COMMAND_USAGE } from '../command-help.js'
import { withDatabase } from '../with-database.js'

/**
 * `watchpost apikey create|list|revoke --tenant NAME …`: the operator's way to manage a tenant's
 * keys from a shell (tenant admins use the GraphQL mutations). A new key is printed once.
 */

const USAGE = COMMAND_USAGE.apikey

export async function run(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { tenant: { type: 'string' }, name: { type: 'string' }, role: { type: 'string' }, expires: { type: 'string' }, json: { type: 'boolean', default: false } },
  })
  const [sub, keyId] = positionals
  if (!values.tenant || !['create', 'list', 'revoke'].includes(sub ?? '')) throw new CliError(USAGE, 2)
  return withDatabase(async ({ prisma }) => {
    const tenant = await prisma.tenant.findFirst({ where: { name: values.tenant } })
    if (!tenant) throw new CliError(`no tenant named "${values.tenant}"`)
    return runSub(prisma, tenant.id, sub!, keyId, values)
  })
}

async function runSub(prisma: PrismaClient, tenantId: string, sub: string, keyId: string | undefined, values: { name?: string; role?: string; expires?: string; json?: boolean }): Promise<number> {
  const out = (text: string): void => void process.stdout.write(text + '\n')
  if (sub === 'create') {
    const expiresAt = values.expires ? new Date(values.expires) : null
    if (expiresAt && Number.isNaN(expiresAt.getTime())) throw new CliError(`--expires is not a date: ${values.expires}`, 2)
    const input = { name: values.name ?? '', role: values.role ?? '', expiresAt }
    // The store returns the key beside its id; the audit record reads the id only (as { apiKey: { id } }, the GraphQL shape).
    const created = await audited(prisma, { operation: 'createApiKey', tenantId, args: input, resultForAudit: (c) => ({ apiKey: { id: c.id } }) }, async () => {
      checkNewKey(input, new Date())
      return createApiKey(prisma, { tenantId, name: input.name, role: input.role as ApiKeyRole, expiresAt })
    })
    out(values.json ? JSON.stringify({ id: created.id, prefix: created.prefix, role: input.role, apiKey: created.key }) : `API key (shown once, keep it safe): ${created.key}`)
    return 0
  }
  if (sub === 'list') {
    const keys = await listApiKeys(prisma, tenantId)
    if (values.json) out(JSON.stringify(keys))
    else for (const k of keys) out(`${k.id}  wp_${k.prefix}_…  ${k.role.padEnd(7)}  ${k.name}${k.revokedAt ? '  (revoked)' : ''}`)
    return 0
  }
  if (!keyId) throw new CliError(USAGE, 2)
  await audited(prisma, { operation: 'revokeApiKey', tenantId, args: { id: keyId } }, () => revokeApiKey(prisma, tenantId, keyId, new Date()))
  out(`revoked ${keyId}`)
  return 0
}
