import { randomBytes } from 'node:crypto'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { withTenantScope } from '../../src/db/db-scope.js'
import { createPool } from '../../src/db/pool.js'
import { CHUNK_BYTES, readUploadChunks } from '../../src/store/upload-chunks.js'
import { receiveUpload } from '../../src/store/uploads.js'
import { createTestTenant } from '../helpers/tenant.js'
import { createTestDatabase } from '../helpers/test-database.js'

/**
 * The worker reads an upload's stored chunks under row-level security, and the next chunk is
 * pulled by a stream from a database socket's callback — in the scope of whichever job opened that
 * connection, often another tenant's. The load test caught uploads cut after their first 4 MiB
 * (the next chunk invisible, taken for the end). These tests pull the chunks from the wrong scope
 * on purpose.
 */

describe("reading an upload's stored bytes", () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>
  let pool: pg.Pool
  let admin: pg.Pool
  let a: string
  let b: string
  const body = randomBytes(2 * CHUNK_BYTES + 12_345) // three chunks

  beforeAll(async () => {
    db = await createTestDatabase()
    a = (await createTestTenant(db.url, 'chunks-a')).tenant.id
    b = (await createTestTenant(db.url, 'chunks-b')).tenant.id
    pool = createPool(db.url, { appRole: 'watchpost_app' })
    admin = new pg.Pool({ connectionString: db.url, max: 1 })
  })
  afterAll(async () => {
    await pool?.end()
    await admin?.end()
    await db?.drop()
  })

  async function storeForA(): Promise<string> {
    const input = { tenantId: a, fileName: 'chunks.bin', formatOverride: null, detectFormat: () => 'unknown', maxBytes: 1e9 }
    // In pieces, as a request body arrives: the chunks are cut at 4 MiB.
    async function* pieces() {
      for (let at = 0; at < body.length; at += 1024 * 1024) yield body.subarray(at, at + 1024 * 1024)
    }
    return (await withTenantScope(a, () => receiveUpload(pool, input, pieces()))).id
  }

  async function pullIn(scope: string | null, chunks: AsyncGenerator<Buffer>): Promise<Buffer> {
    const pull = async () => {
      const out: Buffer[] = []
      for await (const c of chunks) out.push(c)
      return Buffer.concat(out)
    }
    return scope === null ? pull() : withTenantScope(scope, pull)
  }

  it("reads every chunk in the scope of the code that asked, even when another tenant's code (or none) pulls them", async () => {
    const id = await storeForA()
    expect((await pullIn(b, withTenantScope(a, () => readUploadChunks(pool, id)))).equals(body)).toBe(true)
    expect((await pullIn(null, withTenantScope(a, () => readUploadChunks(pool, id)))).equals(body)).toBe(true)
    // Asked from B's scope, A's upload stays invisible: nothing is read.
    expect((await pullIn(a, withTenantScope(b, () => readUploadChunks(pool, id)))).length).toBe(0)
  })

  it('a chunk missing in the middle is an error naming where the upload stops, not its end', async () => {
    const id = await storeForA()
    expect((await admin.query('DELETE FROM upload_chunks WHERE upload_id = $1 AND seq = 1', [id])).rowCount).toBe(1)
    await expect(pullIn(a, withTenantScope(a, () => readUploadChunks(pool, id)))).rejects.toThrow(`upload ${id} ends after ${CHUNK_BYTES} of its ${body.length} bytes: its chunk 1 cannot be read`)
  })
})
