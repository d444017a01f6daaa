import { parseArgs } from 'node:util'
import { loadConfig } from '../../config.js'
import { setTenantUploadLimit, tenantLimits } from '../../store/tenant-limits.js'
import { CliError } from '../cli-error.js'
import { USAGE as COMMAND_USAGE } from '../command-help.js'
import { withDatabase } from '../with-database.js'

export const TENANT_LIMITS_USAGE = COMMAND_USAGE.tenantLimits

/**
 * `watchpost tenant limits NAME` shows the tenant's limits; `--max-upload-bytes N` sets its own
 * largest upload (K, M, G are KiB, MiB, GiB), `--max-upload-bytes default` returns it to the
 * deployment's MAX_UPLOAD_BYTES.
 */
export async function runTenantLimits(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { 'max-upload-bytes': { type: 'string' }, json: { type: 'boolean', default: false } },
  })
  const [name, extra] = positionals
  if (!name || extra !== undefined) throw new CliError(TENANT_LIMITS_USAGE, 2)
  const requested = values['max-upload-bytes']
  const maxUploadBytes = requested === undefined ? undefined : parseByteCount(requested)
  const deploymentDefault = loadConfig(process.env).maxUploadBytes
  return withDatabase(async ({ pool, prisma }) => {
    const tenant = await prisma.tenant.findFirst({ where: { name } })
    if (!tenant) throw new CliError(`no tenant named "${name}"`)
    const limits = maxUploadBytes === undefined ? await tenantLimits(pool, tenant.id) : await setTenantUploadLimit(pool, tenant.id, maxUploadBytes)
    const effective = limits.maxUploadBytes ?? deploymentDefault
    process.stdout.write(
      values.json
        ? JSON.stringify({ tenant: name, maxUploadBytes: limits.maxUploadBytes, effectiveMaxUploadBytes: effective }) + '\n'
        : `tenant ${name}: uploads up to ${effective} bytes (${limits.maxUploadBytes === null ? "the deployment's MAX_UPLOAD_BYTES" : 'its own limit'})\n`,
    )
    return 0
  })
}

const MULTIPLIERS: Record<string, number> = { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3 }

/** "default" → null; "5000", "100M", "2G" → bytes. */
function parseByteCount(text: string): number | null {
  if (text === 'default') return null
  const m = /^(\d+)([KMG]?)$/i.exec(text)
  const bytes = m ? Number(m[1]) * MULTIPLIERS[m[2]!.toUpperCase()]! : NaN
  if (!Number.isSafeInteger(bytes) || bytes <= 0) throw new CliError(`--max-upload-bytes must be a positive number of bytes (K, M, G allowed) or "default", not "${text}"`, 2)
  return bytes
}
