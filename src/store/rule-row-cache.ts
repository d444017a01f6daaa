import type pg from 'pg'
import type { PrismaClient } from '../db/prisma.js'
import type { RuleRow } from './rules.js'

/**
 * Rule rows as a request needs them for a page of detections (the rule's name, its ATT&CK tags,
 * its threat objects), kept between requests while the row is unchanged. A tenant's rules are
 * large (the YAML and the parsed definition: ~15 KB each for ESCU content) and change rarely,
 * while the triage queue asks for them on every page: reading and parsing them every time was most
 * of the page's cost. Each load still asks Postgres which rows exist and their current version
 * (the row's xmin: a new one on every update, by any code, Prisma or SQL), under the caller's
 * row-level security, and fetches in full only the rows not remembered at that version.
 */

const MAX_ROWS = 2_000

interface Entry {
  readonly version: string
  readonly row: RuleRow
}

const remembered = new Map<string, Entry>()
const keyOf = (tenantId: string, ruleId: string): string => `${tenantId}/${ruleId}`

/** The tenant's rules among `ruleIds` (ids that name no visible rule are absent from the map). */
export async function loadRuleRows(pool: pg.Pool, prisma: PrismaClient, tenantId: string, ruleIds: readonly string[]): Promise<Map<string, RuleRow>> {
  const out = new Map<string, RuleRow>()
  if (ruleIds.length === 0) return out
  const { rows: versions } = await pool.query<{ id: string; version: string }>(
    'SELECT id, xmin::text AS version FROM rules WHERE tenant_id = $1 AND id = ANY($2::uuid[])',
    [tenantId, ruleIds],
  )
  const stale: string[] = []
  for (const { id, version } of versions) {
    const entry = remembered.get(keyOf(tenantId, id))
    if (entry?.version === version) out.set(id, entry.row)
    else stale.push(id)
  }
  if (stale.length === 0) return out
  const fresh = await prisma.rule.findMany({ where: { tenantId, id: { in: stale } } })
  const versionOf = new Map(versions.map((v) => [v.id, v.version]))
  for (const row of fresh) {
    out.set(row.id, row)
    // Remembered under the version read first: the row fetched is that version or newer, so at
    // worst a later load finds the version moved on and fetches it again, never serves it stale.
    remember(keyOf(tenantId, row.id), { version: versionOf.get(row.id)!, row })
  }
  return out
}

function remember(key: string, entry: Entry): void {
  remembered.delete(key)
  if (remembered.size >= MAX_ROWS) remembered.delete(remembered.keys().next().value!)
  remembered.set(key, entry)
}
