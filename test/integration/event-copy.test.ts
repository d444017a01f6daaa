import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { applyCimDataModel, type ProcessEvent } from '../../src/detection/index.js'
import { copyEvents, type StoredEvent } from '../../src/store/event-copy.js'
import { createTestDatabase } from '../helpers/test-database.js'
import { NGROK_EVENT_BASE, NGROK_T0 } from '../unit/detection/helpers.js'

// copyEvents over several segments (COPY into the inbox, then the move, segment after segment):
// every new event stored exactly once, duplicates (earlier upload, earlier segment, same batch)
// left out, the rules handed exactly the new events in upload order, and a failing source
// failing the copy with its own error.

const event = (i: number): ProcessEvent => applyCimDataModel(NGROK_T0 + i * 1000, { ...NGROK_EVENT_BASE, process: `ngrok.exe tcp ${i}` }, 'xmlwineventlog')

/** Event i's key: none for every 7th, an earlier event's for every 11th (10,500 back: another segment) and 13th (the one before). */
function keyOf(i: number): string | null {
  if (i % 7 === 3) return null
  if (i % 11 === 5 && i >= 10_500) return `k${i - 10_500}`
  if (i % 13 === 6 && i > 0) return `k${i - 1}`
  return `k${i}`
}

/** The events (by index) new to a tenant that already had the first 100: the first of each key. */
function newEventsOf(uploadId: string, total: number): number[] {
  const seen = new Set(Array.from({ length: 100 }, (_, i) => keyOf(i)).filter((k) => k !== null))
  const fresh: number[] = []
  for (let i = 0; i < total; i++) {
    const key = keyOf(i) ?? `~${uploadId}:${i}`
    if (seen.has(key)) continue
    seen.add(key)
    fresh.push(i)
  }
  return fresh
}

async function* batches(total: number, size: number, failAt = Infinity): AsyncGenerator<StoredEvent[]> {
  for (let start = 0; start < total; start += size) {
    const batch: StoredEvent[] = []
    for (let i = start; i < Math.min(total, start + size); i++) {
      if (i === failAt) throw new Error(`unreadable event at line ${i + 1}`)
      batch.push({ event: event(i), source: 'copy-test', key: keyOf(i), line: i + 1 })
    }
    yield batch
  }
}

describe('copyEvents over many segments', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>
  let client: pg.Client
  let tenantId: string

  beforeAll(async () => {
    db = await createTestDatabase()
    client = new pg.Client({ connectionString: db.url })
    await client.connect()
    tenantId = (await client.query<{ id: string }>("INSERT INTO tenants (name) VALUES ('copy') RETURNING id")).rows[0]!.id
  })
  afterAll(async () => {
    await client?.end()
    await db?.drop()
  })

  const newUpload = async (tenant = tenantId): Promise<string> =>
    (await client.query<{ id: string }>("INSERT INTO uploads (tenant_id, file_name) VALUES ($1, 'copy.xml') RETURNING id", [tenant])).rows[0]!.id

  it('stores each new event once and hands the rules exactly those, in upload order', async () => {
    // An earlier upload already stored the first 100 events (their keys: keyOf(0..99)).
    await copyEvents(client, tenantId, await newUpload(), batches(100, 100))
    const uploadId = await newUpload()
    const total = 25_003
    const handed: StoredEvent[] = []
    const result = await copyEvents(client, tenantId, uploadId, batches(total, 997), { onStored: (events) => handed.push(...events) })

    const expected = newEventsOf(uploadId, total)
    expect(result).toEqual({ stored: expected.length, duplicates: total - expected.length })
    expect(handed.map((s) => s.line - 1)).toEqual(expected)
    const inDb = await client.query<{ n: string; lines: string }>('SELECT count(*) AS n, sum(line) AS lines FROM process_events WHERE upload_id = $1', [uploadId])
    expect(Number(inDb.rows[0]!.n)).toBe(expected.length)
    expect(Number(inDb.rows[0]!.lines)).toBe(expected.reduce((sum, i) => sum + i + 1, 0))
  })

  it('holds only the events asked for, hands exactly the new ones among them, and reports the time of every new event', async () => {
    // A tenant of its own: the keys are the ones the test before stored for its tenant.
    const tenant = (await client.query<{ id: string }>("INSERT INTO tenants (name) VALUES ('copy-hold') RETURNING id")).rows[0]!.id
    await copyEvents(client, tenant, await newUpload(tenant), batches(100, 100))
    const uploadId = await newUpload(tenant)
    const total = 25_003
    const handed: StoredEvent[] = []
    const times: number[] = []
    // Every third event is held: an event with the key of the one before it (held or not) is never new.
    const result = await copyEvents(client, tenant, uploadId, batches(total, 997), {
      hold: (s) => s.line % 3 === 0,
      onStored: (events) => handed.push(...events),
      onStoredTimes: (t) => times.push(...t),
    })

    const fresh = newEventsOf(uploadId, total)
    expect(result).toEqual({ stored: fresh.length, duplicates: total - fresh.length })
    expect(handed.map((s) => s.line - 1)).toEqual(fresh.filter((i) => (i + 1) % 3 === 0))
    expect(times.sort((a, b) => a - b)).toEqual(fresh.map((i) => event(i)._time))
  })

  it('stores every character of a value as it was: multi-byte UTF-8, CSV quoting, NUL dropped, a lone surrogate as U+FFFD', async () => {
    const uploadId = await newUpload()
    const values = [
      'C:\\Users\\José\\Téléchargements\\ngrok.exe tcp 3389',
      'ngrok.exe http 8080 --region=€u 日本語 🚇',
      'cmd.exe /c "echo a,b" & echo \'x\'\r\nnext line',
      'ngrok.exe\u0000 tcp 22',
      'ngrok.exe tcp \ud83d 4444',
      '',
    ]
    const stored = values.map((process, i): StoredEvent => ({ event: applyCimDataModel(NGROK_T0 + i, { ...NGROK_EVENT_BASE, process }, 'xmlwineventlog'), source: 'copy-test', key: `chars${i}`, line: i + 1 }))
    const ascii: StoredEvent = { event: applyCimDataModel(NGROK_T0, { ...NGROK_EVENT_BASE, process: 'ngrok.exe tcp 1' }, 'xmlwineventlog'), source: 'copy-test', key: 'chars-ascii', line: 99 }
    async function* input(): AsyncGenerator<StoredEvent[]> {
      // Two batches, the second all ASCII: each batch goes to the COPY as a piece of its own.
      yield stored
      yield [ascii]
    }
    expect(await copyEvents(client, tenantId, uploadId, input())).toEqual({ stored: values.length + 1, duplicates: 0 })
    const rows = await client.query<{ process: string | null }>('SELECT process FROM process_events WHERE upload_id = $1 ORDER BY line', [uploadId])
    expect(rows.rows.map((r) => r.process)).toEqual([...stored, ascii].map((s) => s.event.process!.replaceAll('\u0000', '').replace(/[\ud800-\udfff]/gu, '\ufffd')))
    // What that expectation rests on: the values reached the events unchanged, but the empty one (CIM's "unknown").
    expect(stored.map((s) => s.event.process)).toEqual([...values.slice(0, -1), 'unknown'])
    expect(rows.rows[1]!.process).toBe('ngrok.exe http 8080 --region=€u 日本語 🚇')
    expect(rows.rows[4]!.process).toBe('ngrok.exe tcp \ufffd 4444')
  })

  it('fails with the source’s own error, and the transaction stores nothing', async () => {
    const uploadId = await newUpload()
    await client.query('BEGIN')
    const copying = copyEvents(client, tenantId, uploadId, batches(30_000, 1000, 23_456))
    await expect(copying).rejects.toThrow('unreadable event at line 23457')
    await client.query('ROLLBACK')
    expect((await client.query('SELECT 1 FROM process_events WHERE upload_id = $1', [uploadId])).rowCount).toBe(0)
  })
})
