import { pipeline } from 'node:stream/promises'
import { Readable } from 'node:stream'
import pg from 'pg'
import { from as copyFrom } from 'pg-copy-streams'
import { withTenantScope } from '../../src/db/db-scope.js'
import { createPool } from '../../src/db/pool.js'
import { COPY_COLUMNS, copyEvents, csvLine, type StoredEvent } from '../../src/store/event-copy.js'
import { createBenchDatabase } from './bench-database.js'
import { generateEvents } from './rule-scaling.js'

/**
 * Storing normalized events, as the upload job does (copyEvents: CSV, COPY into the transaction's
 * inbox, INSERT … SELECT into process_events under row-level security, as the application role
 * in the tenant's scope), beside the floor: a bare pg-copy-streams COPY of the same rows, already
 * built as CSV, straight into process_events as the database owner (no row-level security).
 * Every run is one transaction that is rolled back, so each starts from the same empty table.
 */

export interface StoreThroughputResult {
  readonly rows: number
  readonly storeRowsPerSecond: number
  readonly floorRowsPerSecond: number
  readonly ratio: number
}

const BATCH = 1000

export async function measureStoreThroughput(opts: { rows?: number; rounds?: number } = {}): Promise<StoreThroughputResult> {
  const count = opts.rows ?? 200_000
  const rounds = opts.rounds ?? 3
  const db = await createBenchDatabase()
  const owner = new pg.Client({ connectionString: db.url })
  await owner.connect()
  const app = createPool(db.url, { max: 1, appRole: 'watchpost_app' })
  try {
    const tenantId = (await owner.query<{ id: string }>("INSERT INTO tenants (name) VALUES ('bench') RETURNING id")).rows[0]!.id
    const uploadId = (await owner.query<{ id: string }>("INSERT INTO uploads (tenant_id, file_name) VALUES ($1, 'bench.xml') RETURNING id", [tenantId])).rows[0]!.id
    const stored: (StoredEvent & { key: string })[] = generateEvents(count, 3).map((event, i) => ({ event, source: 'xmlwineventlog', key: `bench|${i}`, line: i + 1 }))
    const csv: string[] = []
    for (let i = 0; i < stored.length; i += BATCH) csv.push(stored.slice(i, i + BATCH).map((s) => csvLine(tenantId, uploadId, s)).join(''))
    const floorSql = `COPY process_events (${COPY_COLUMNS.map((c) => `"${c}"`).join(', ')}) FROM STDIN WITH (FORMAT csv)`

    const floor = async (): Promise<number> => {
      await owner.query('BEGIN')
      const t = performance.now()
      await pipeline(Readable.from(csv, { highWaterMark: 1 }), owner.query(copyFrom(floorSql)))
      const s = (performance.now() - t) / 1000
      await owner.query('ROLLBACK')
      return count / s
    }
    const store = (): Promise<number> =>
      withTenantScope(tenantId, async () => {
        const client = await app.connect()
        try {
          await client.query('BEGIN')
          async function* batches(): AsyncGenerator<StoredEvent[]> {
            for (let i = 0; i < stored.length; i += BATCH) yield stored.slice(i, i + BATCH)
          }
          const t = performance.now()
          await copyEvents(client, tenantId, uploadId, batches())
          const s = (performance.now() - t) / 1000
          const n = await client.query<{ n: string }>('SELECT count(*) AS n FROM process_events')
          if (Number(n.rows[0]!.n) !== count) throw new Error(`stored ${n.rows[0]!.n} rows, expected ${count}`)
          await client.query('ROLLBACK')
          return count / s
        } finally {
          client.release()
        }
      })
    const floors: number[] = []
    const stores: number[] = []
    for (let r = 0; r <= rounds; r++) {
      const f = await floor()
      const st = await store()
      if (r > 0) {
        floors.push(f)
        stores.push(st)
      }
    }
    const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!
    const floorRowsPerSecond = median(floors)
    const storeRowsPerSecond = median(stores)
    return { rows: count, storeRowsPerSecond, floorRowsPerSecond, ratio: storeRowsPerSecond / floorRowsPerSecond }
  } finally {
    await app.end()
    await owner.end()
    await db.drop()
  }
}

if (process.argv[1] !== undefined && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  console.log(await measureStoreThroughput({ rows: Number(process.argv[2] ?? 200_000) }))
}
