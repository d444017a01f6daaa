import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { formatReport, runLoad, type LoadReport } from '../load/load-run.js'
import { SHORT_SIZES } from '../load/upload-mix.js'
import { recordFigures } from '../helpers/reliability-bed.js'
import { createTestDatabase } from '../helpers/test-database.js'

/**
 * The short form of `npm run test:load` (test/load/run.ts), run with every `npm test`: the same
 * processes, tenants, clients and checks for 8 s with smaller files. Proves that under concurrent
 * uploads of every source and concurrent GraphQL reads no request fails, and that afterwards every
 * tenant's events and detections are exactly those of the offline scan of the same bytes.
 */

describe('load (short form)', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>
  let report: LoadReport

  beforeAll(async () => {
    db = await createTestDatabase()
    report = await runLoad({ databaseUrl: db.url, durationMs: 6_000, tenants: 3, uploaders: 20, readers: 50, sizes: SHORT_SIZES, drainTimeoutMs: 60_000 })
    process.stdout.write(`\n${formatReport(report)}\n`)
    recordFigures('load-short', { ...report, report: formatReport(report) })
  }, 180_000)
  afterAll(async () => {
    await db?.drop()
  })

  it('fails no request: uploads, status polls and GraphQL reads all answered', () => {
    for (const kind of [report.uploads, report.statusPolls, report.graphqlReads]) {
      expect(kind.sampleFailures).toEqual([])
      expect(kind.failures).toBe(0)
      expect(kind.requests).toBeGreaterThan(0)
    }
    // Every reader and every upload client got through at least once (rates depend on the machine).
    expect(report.graphqlReads.requests).toBeGreaterThanOrEqual(50)
    expect(report.processedUploads).toBeGreaterThanOrEqual(20)
  })

  it('stores exactly the events and detections the offline scan finds in the same bytes, per tenant', () => {
    expect(report.tenants).toHaveLength(3)
    for (const t of report.tenants) {
      expect(t.mismatches, t.tenant).toEqual([])
      expect(t.storedEvents).toBe(t.expectedEvents)
      expect(t.detections).toBe(t.expectedDetections)
      expect(t.expectedDetections).toBeGreaterThan(0)
    }
  })

  it('reports p50 and p99 latencies and request rates', () => {
    for (const kind of [report.uploads, report.statusPolls, report.graphqlReads]) {
      expect(kind.p50Ms).toBeGreaterThan(0)
      expect(kind.p99Ms).toBeGreaterThanOrEqual(kind.p50Ms)
      expect(kind.perSecond).toBeGreaterThan(0)
    }
  })
})
