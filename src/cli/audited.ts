import { auditEvent, SUCCESS } from '../audit/audit-event.js'
import type { AuditedOperation } from '../audit/operation-summaries.js'
import { recordAuditEvents } from '../audit/record-audit-events.js'
import type { PrismaClient } from '../db/prisma.js'
import { DomainError } from '../errors.js'

/** Where a failed audit write is reported from the CLI: stderr, with the error's name and code. */
const stderrLog = {
  error(details: object, message: string): void {
    process.stderr.write(`watchpost: warning: ${message} ${JSON.stringify(details)}\n`)
  },
}

/**
 * Runs a mutating CLI command and records it in the audit log as done by `cli` (no key), against
 * `tenantId` (or, for createTenant, the tenant it created). `args` and `result` go through the
 * operation's allow-list, as for the API. The command's own outcome is what the user gets: a
 * failed audit write is reported on stderr and does not change the exit status (the change is made).
 */
export async function audited<T>(
  prisma: PrismaClient,
  call: { operation: AuditedOperation; tenantId: string | null; args: Record<string, unknown>; resultForAudit?: (result: T) => unknown },
  run: () => Promise<T>,
): Promise<T> {
  const record = (result: unknown, outcome: string) =>
    recordAuditEvents(prisma, stderrLog, [auditEvent({ tenantId: call.tenantId, keyId: null, role: 'cli' }, call.operation, call.args, result, outcome)])
  let result: T
  try {
    result = await run()
  } catch (err) {
    await record(undefined, err instanceof DomainError ? err.code : 'INTERNAL_SERVER_ERROR')
    throw err
  }
  await record(call.resultForAudit ? call.resultForAudit(result) : result, SUCCESS)
  return result
}
