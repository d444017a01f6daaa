import type pg from 'pg'

/**
 * Runs `fn` in one transaction on a client of its own: COMMIT when it returns, ROLLBACK when it
 * throws. A client whose transaction failed may be broken (lost connection, terminated backend),
 * so it is handed back to the pool as failed and discarded. While checked out, the client's own
 * 'error' event is absorbed: the failure surfaces as the rejected query instead of crashing the process.
 */
export async function withTransaction<T>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect()
  const ignoreClientError = (): void => {}
  client.on('error', ignoreClientError)
  let failure: Error | undefined
  try {
    await client.query('BEGIN')
    const result = await fn(client)
    await client.query('COMMIT')
    return result
  } catch (err) {
    failure = err instanceof Error ? err : new Error(String(err))
    await client.query('ROLLBACK').catch(() => {})
    throw err
  } finally {
    client.off('error', ignoreClientError)
    client.release(failure)
  }
}
