import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createPrisma, type PrismaClient } from '../../src/db/prisma.js'
import { loadMigrations, migrate, MigrationError } from '../../src/db/migrate.js'
import { readPrismaSchema } from '../helpers/prisma-schema.js'
import { createTestDatabase } from '../helpers/test-database.js'

// Prisma Migrate cannot run here, so this test is what keeps prisma/schema.prisma (the model the
// client is generated from) and the hand-written SQL migrations in step.

const schema = readPrismaSchema(new URL('../../prisma/schema.prisma', import.meta.url))

const expectedDataType = (f: { type: string; list: boolean; nativeType: string | null }, enums: string[]): string => {
  if (f.list) return 'ARRAY'
  if (enums.includes(f.type)) return 'USER-DEFINED'
  if (f.nativeType === 'Uuid') return 'uuid'
  if (f.nativeType === 'Json') return 'json'
  const map: Record<string, string> = {
    String: 'text',
    Int: 'integer',
    BigInt: 'bigint',
    Boolean: 'boolean',
    DateTime: 'timestamp with time zone',
    Json: 'jsonb',
    Bytes: 'bytea',
  }
  return map[f.type] ?? `unmapped ${f.type}`
}

describe('the migrated database matches prisma/schema.prisma', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>
  let client: pg.Client
  let prisma: PrismaClient
  let pool: pg.Pool

  beforeAll(async () => {
    db = await createTestDatabase()
    client = new pg.Client({ connectionString: db.url })
    await client.connect()
    pool = new pg.Pool({ connectionString: db.url, max: 2 })
    prisma = createPrisma(pool)
  })
  afterAll(async () => {
    await prisma?.$disconnect()
    await pool?.end()
    await client?.end()
    await db?.drop()
  })

  it('has every model as a table with exactly the model’s columns, types and nullability', async () => {
    const { rows } = await client.query<{ table_name: string; column_name: string; data_type: string; is_nullable: string; udt_name: string }>(
      "SELECT table_name, column_name, data_type, is_nullable, udt_name FROM information_schema.columns WHERE table_schema = 'public'",
    )
    for (const model of schema.models) {
      const columns = rows.filter((r) => r.table_name === model.table)
      expect(columns.length, `table ${model.table} for model ${model.name}`).toBeGreaterThan(0)
      expect(columns.map((c) => c.column_name).sort(), `columns of ${model.table}`).toEqual(model.fields.map((f) => f.column).sort())
      for (const f of model.fields) {
        const col = columns.find((c) => c.column_name === f.column)!
        expect(col.data_type, `${model.table}.${f.column} type`).toBe(expectedDataType(f, schema.enums))
        if (schema.enums.includes(f.type)) expect(col.udt_name).toBe(f.type)
        if (!f.list) expect(col.is_nullable, `${model.table}.${f.column} nullability`).toBe(f.optional ? 'YES' : 'NO')
      }
    }
  })

  it('has a unique index for every @id, @unique and @@unique of the model', async () => {
    const { rows } = await client.query<{ table: string; columns: string[] }>(
      `SELECT t.relname AS table, array_agg(a.attname ORDER BY k.ord)::text[] AS columns
       FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid JOIN pg_namespace n ON n.oid = t.relnamespace
       CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)
       JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum
       WHERE i.indisunique AND n.nspname = 'public' GROUP BY t.relname, i.indexrelid`,
    )
    for (const model of schema.models) {
      for (const cols of model.uniques) {
        expect(rows.some((r) => r.table === model.table && r.columns.join() === cols.join()), `${model.table} unique (${cols.join(', ')})`).toBe(true)
      }
    }
  })

  it('lets Prisma Client read every model', async () => {
    const delegates = prisma as unknown as Record<string, { findMany(args: object): Promise<unknown[]> }>
    for (const model of schema.models) {
      const delegate = delegates[model.name[0]!.toLowerCase() + model.name.slice(1)]
      expect(delegate, `client delegate for ${model.name}`).toBeDefined()
      await expect(delegate!.findMany({ take: 1 })).resolves.toEqual([])
    }
  })

  it('records migrations in Prisma’s ledger and refuses an edited migration', async () => {
    const migrations = await loadMigrations()
    const ledger = await client.query<{ migration_name: string; checksum: string }>('SELECT migration_name, checksum FROM "_prisma_migrations" ORDER BY migration_name')
    expect(ledger.rows).toEqual(migrations.map((m) => ({ migration_name: m.name, checksum: m.checksum })))
    expect(await migrate(client, migrations)).toEqual({ applied: [], alreadyApplied: migrations.map((m) => m.name) })
    const edited = migrations.map((m, i) => (i === 0 ? { ...m, checksum: 'f'.repeat(64) } : m))
    await expect(migrate(client, edited)).rejects.toThrow(MigrationError)
  })
})
