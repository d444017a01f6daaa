import pg from 'pg'

/** One pg pool per process, shared by Prisma (through its driver adapter) and by COPY writers. */
export function createPool(databaseUrl: string, max = 10): pg.Pool {
  const pool = new pg.Pool({ connectionString: databaseUrl, max })
  // An idle client that loses its connection (Postgres restart) must not crash the process:
  // the pool drops it and the next checkout reconnects.
  pool.on('error', () => {})
  return pool
}
