import type pg from 'pg'
import type { HostEntry } from '../hosts/parse-aidmaster.js'

/** The tenant's aid → host name inventory, used for CrowdStrike `dest` at ingest. */

/** Inserts or updates entries; returns how many rows were new and how many changed. */
export async function upsertCrowdstrikeHosts(pool: pg.Pool, tenantId: string, hosts: HostEntry[]): Promise<{ inserted: number; updated: number }> {
  if (hosts.length === 0) return { inserted: 0, updated: 0 }
  // The last entry for an aid wins, as in a file read top to bottom.
  const latest = new Map(hosts.map((h) => [h.aid, h.hostname]))
  const { rows } = await pool.query<{ inserted: boolean }>(
    `INSERT INTO crowdstrike_hosts (tenant_id, aid, hostname)
     SELECT $1, a, h FROM unnest($2::text[], $3::text[]) AS t(a, h)
     ON CONFLICT (tenant_id, aid) DO UPDATE SET hostname = excluded.hostname, updated_at = now()
       WHERE crowdstrike_hosts.hostname IS DISTINCT FROM excluded.hostname
     RETURNING (xmax = 0) AS inserted`,
    [tenantId, [...latest.keys()], [...latest.values()]],
  )
  const inserted = rows.filter((r) => r.inserted).length
  return { inserted, updated: rows.length - inserted }
}

/** The whole inventory as a lookup function (loaded once per job). */
export async function loadCrowdstrikeHosts(pool: pg.Pool | pg.ClientBase, tenantId: string): Promise<(aid: string) => string | undefined> {
  const { rows } = await pool.query<{ aid: string; hostname: string }>('SELECT aid, hostname FROM crowdstrike_hosts WHERE tenant_id = $1', [tenantId])
  const map = new Map(rows.map((r) => [r.aid, r.hostname]))
  return (aid) => map.get(aid.toLowerCase())
}

export async function countCrowdstrikeHosts(pool: pg.Pool, tenantId: string): Promise<number> {
  const { rows } = await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM crowdstrike_hosts WHERE tenant_id = $1', [tenantId])
  return rows[0]!.n
}
