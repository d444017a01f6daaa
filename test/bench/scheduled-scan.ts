import pg from 'pg'
import { withTenantScope } from '../../src/db/db-scope.js'
import { MigrationError } from '../../src/db/migrate.js'
import { createPool } from '../../src/db/pool.js'
import { createPrisma } from '../../src/db/prisma.js'
import { compileRule } from '../../src/detection/index.js'
import { executeScan } from '../../src/scans/execute-scan.js'
import { compileWhereToSql, SqlParams } from '../../src/sql-backend/index.js'
import { importRules, loadMacroSet } from '../../src/store/rules.js'
import { createScan } from '../../src/store/scans.js'
import { SEED_RULE_YAML } from '../helpers/fixtures.js'
import { createBenchDatabase, dropBenchDatabase, type BenchDatabase } from './bench-database.js'

/**
 * A scan of 1 rule (the ESCU ngrok rule) over N stored events of one tenant among several, as a
 * scheduled run does it (executeScan: the SQL backend's grouped query per rule, the per-upload
 * writes, the count of events examined; as the application role under row-level security),
 * beside the floor: a bare `SELECT count(*)` with the same WHERE over the same window, as the
 * owner. Events are generated in SQL (≈1% ngrok.exe, half of them with a keyword the rule wants),
 * spread over uploads of 1M events; other tenants hold N/10 events each. Every round starts from
 * the same state: the rule has evaluated nothing yet.
 */

export interface ScheduledScanResult {
  readonly events: number
  readonly scanSeconds: number
  readonly floorSeconds: number
  /** Events in the window per second of the scan / of the floor. */
  readonly scanEventsPerSecond: number
  readonly floorEventsPerSecond: number
  readonly ratio: number
  readonly detections: number
}

const UPLOAD_EVENTS = 1_000_000
const FROM = '2026-01-01T00:00:00Z'
const TO = '2026-02-01T00:00:00Z'

/** Inserts `n` generated events of `tenantId`, in uploads of UPLOAD_EVENTS, with the uploads' rows. */
async function generate(owner: pg.Client, tenantId: string, n: number, tag: string): Promise<void> {
  for (let start = 0; start < n; start += UPLOAD_EVENTS) {
    const count = Math.min(UPLOAD_EVENTS, n - start)
    const { rows } = await owner.query<{ id: string }>(
      `INSERT INTO uploads (tenant_id, file_name, status, process_events, event_count, finished_at) VALUES ($1, $2, 'SUCCEEDED', $3, $3, now()) RETURNING id`,
      [tenantId, `${tag}-${start}.xml`, count],
    )
    const uploadId = rows[0]!.id
    await owner.query(
      `INSERT INTO process_events (tenant_id, upload_id, time, source, event_key, line, action, dest, original_file_name, parent_process_name, process, process_name, "user", vendor_product)
       SELECT $1, $2, $3::timestamptz + (i * interval '1 second' * (2678400.0 / ($5 + $4))), 'sysmon', $6 || '|' || i, i,
              'allowed', 'host-' || (i % 500), upper(pn), 'explorer.exe',
              CASE WHEN i % 200 = 0 THEN pn || ' http 8080' WHEN i % 200 = 100 THEN pn || ' version' ELSE pn || ' --flag ' || (i % 97) END,
              pn, 'user' || (i % 200), 'Microsoft Sysmon'
       FROM (SELECT i, CASE WHEN i % 100 = 0 THEN 'ngrok.exe' ELSE (ARRAY['chrome.exe','svchost.exe','powershell.exe','cmd.exe','notepad.exe','conhost.exe','msedge.exe'])[1 + i % 7] END AS pn
             FROM generate_series($4::bigint, $4::bigint + $7 - 1) AS i) g`,
      [tenantId, uploadId, FROM, start, n, tag, count],
    )
    // What ingest records beside the events: the upload's time span and its events per hour.
    await owner.query(
      `UPDATE uploads u SET first_event_time = s.f, last_event_time = s.l FROM (SELECT min(time) f, max(time) l FROM process_events WHERE upload_id = $1) s WHERE u.id = $1`,
      [uploadId],
    )
    await owner.query(
      `INSERT INTO upload_event_hours (upload_id, tenant_id, hour, events) SELECT upload_id, tenant_id, date_trunc('hour', time), count(*) FROM process_events WHERE upload_id = $1 GROUP BY 1, 2, 3`,
      [uploadId],
    )
  }
}

/** The tenants' ids, generating their events unless a kept database holds them already. */
async function tenantsWithEvents(owner: pg.Client, n: number): Promise<string[]> {
  const names = ['scan-target', 'other-a', 'other-b', 'other-c']
  // Set once the generation has finished: a kept database interrupted while generating is not reused.
  const marker = `scheduled scan events: ${n}`
  const { rows: marked } = await owner.query<{ c: string | null }>('SELECT shobj_description(oid, $1) AS c FROM pg_database WHERE datname = current_database()', ['pg_database'])
  const { rows } = await owner.query<{ id: string; name: string }>('SELECT id, name FROM tenants WHERE name = ANY($1)', [names])
  if (marked[0]?.c === marker && rows.length === names.length) return names.map((name) => rows.find((r) => r.name === name)!.id)
  if (rows.length > 0) throw new Error('a kept benchmark database whose generation did not finish: drop it and run again')
  const tenantIds: string[] = []
  for (const name of names) {
    tenantIds.push((await owner.query<{ id: string }>('INSERT INTO tenants (name) VALUES ($1) RETURNING id', [name])).rows[0]!.id)
  }
  const [target, ...others] = tenantIds as [string, ...string[]]
  await generate(owner, target, n, 'target')
  for (const [i, other] of others.entries()) await generate(owner, other, Math.max(1, Math.round(n / 10)), `other${i}`)
  await owner.query('VACUUM ANALYZE process_events')
  await owner.query('VACUUM ANALYZE uploads')
  await owner.query(`COMMENT ON DATABASE "${(await owner.query<{ d: string }>('SELECT current_database() AS d')).rows[0]!.d}" IS '${marker}'`)
  return tenantIds
}

/** The kept database `name`, migrated; created again when a migration it applied was edited since. */
async function keptDatabase(name: string): Promise<BenchDatabase> {
  try {
    return await createBenchDatabase(name)
  } catch (error) {
    if (!(error instanceof MigrationError)) throw error
    console.error(`${name}: ${error.message}; generating its events again`)
    await dropBenchDatabase(name)
    return createBenchDatabase(name)
  }
}

export async function measureScheduledScan(opts: { events?: number; rounds?: number; keep?: boolean } = {}): Promise<ScheduledScanResult> {
  const n = opts.events ?? 10_000_000
  const rounds = opts.rounds ?? 3
  const db = opts.keep ? await keptDatabase(`wp_bench_scheduled_scan_${n}`) : await createBenchDatabase()
  const owner = new pg.Client({ connectionString: db.url })
  await owner.connect()
  const pool = createPool(db.url, { max: 4, appRole: 'watchpost_app' })
  const prisma = createPrisma(pool)
  try {
    await owner.query("SET watchpost.system = 'on'")
    const [target] = (await tenantsWithEvents(owner, n)) as [string, ...string[]]
    // Importing again (a kept database) finds the rule unchanged and keeps its id and revision.
    const imported = await withTenantScope(target, () => importRules(prisma, target, SEED_RULE_YAML))
    const ruleId = imported.rules[0]!.id
    const compiled = compileRule(imported.rules[0]!.definition as never, await withTenantScope(target, () => loadMacroSet(prisma, target)))

    const params = new SqlParams()
    const where = compileWhereToSql(compiled.where!, params)
    const floorSql = `SELECT count(*) AS n FROM process_events WHERE tenant_id = $${params.values.length + 1} AND time >= $${params.values.length + 2} AND time < $${params.values.length + 3} AND (${where})`
    const floorValues = [...params.values, target, FROM, TO]
    const floor = async (): Promise<number> => {
      const t = performance.now()
      await owner.query(floorSql, floorValues)
      return (performance.now() - t) / 1000
    }
    const reset = async (): Promise<void> => {
      for (const table of ['risk_events', 'detection_contributions', 'rule_coverage', 'detections', 'scans']) await owner.query(`DELETE FROM ${table} WHERE tenant_id = $1`, [target])
    }
    let detections = 0
    const scan = async (): Promise<number> => {
      await reset()
      const t = performance.now()
      const outcome = await withTenantScope(target, async () => {
        const record = await createScan(pool, { tenantId: target, kind: 'SCHEDULED', windowFrom: new Date(FROM), windowTo: new Date(TO), ruleIds: [ruleId] })
        return executeScan({ pool, prisma }, record.id, target)
      })
      const s = (performance.now() - t) / 1000
      if (outcome.eventsExamined !== n) throw new Error(`the scan examined ${outcome.eventsExamined} events, expected ${n}`)
      detections = outcome.detectionsWritten
      return s
    }
    const floors: number[] = []
    const scans: number[] = []
    for (let r = 0; r <= rounds; r++) {
      const f = await floor()
      const s = await scan()
      if (r > 0) {
        floors.push(f)
        scans.push(s)
      }
    }
    const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!
    const scanSeconds = median(scans)
    const floorSeconds = median(floors)
    return { events: n, scanSeconds, floorSeconds, scanEventsPerSecond: n / scanSeconds, floorEventsPerSecond: n / floorSeconds, ratio: floorSeconds / scanSeconds, detections }
  } finally {
    await prisma.$disconnect()
    await pool.end()
    await owner.end()
    if (!opts.keep) await db.drop()
  }
}

if (process.argv[1] !== undefined && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  const args = process.argv.slice(2).filter((a) => a !== '--keep')
  const keep = process.argv.includes('--keep')
  console.log(await measureScheduledScan({ events: Number(args[0] ?? 1_000_000), rounds: Number(args[1] ?? 3), keep }))
}
