import type pg from 'pg'

/**
 * What each rule has evaluated of each upload, so that a rule's contribution to the tenant's
 * detections can be recomputed — never added to — whenever it looks at more of an upload: a scan
 * over a window that overlaps an earlier one, or a retried job, computes the same totals again.
 *
 * Coverage is a set of disjoint half-open ranges of event time [from, to) per rule and upload, at
 * one rule revision. Ingest covers a whole upload ('-infinity'..'infinity') with every rule enabled
 * at the time. A scan with a newer revision re-evaluates the old coverage too, so a detection
 * always reflects one revision of its rule over everything that rule has looked at.
 */

/** A half-open range of event time; ±Infinity for an open end. */
export interface TimeRange {
  from: number
  to: number
}

export const WHOLE_UPLOAD: TimeRange = { from: -Infinity, to: Infinity }

/** The union of `ranges` as sorted, disjoint, non-adjacent ranges (empty ranges dropped). */
export function mergeRanges(ranges: readonly TimeRange[]): TimeRange[] {
  const sorted = ranges.filter((r) => r.from < r.to).sort((a, b) => a.from - b.from)
  const out: TimeRange[] = []
  for (const r of sorted) {
    const last = out[out.length - 1]
    if (last !== undefined && r.from <= last.to) last.to = Math.max(last.to, r.to)
    else out.push({ ...r })
  }
  return out
}

/** Whether `covered` (merged) contains all of `range`. */
export function covers(covered: readonly TimeRange[], range: TimeRange): boolean {
  return covered.some((c) => c.from <= range.from && range.to <= c.to)
}

/**
 * A range of an upload widened to open ends where it reaches past the upload's first or last
 * stored event (`span`, epoch ms; every stored event of an upload lies within them): it holds the
 * same events, and an open range says so without reading them. Pure.
 */
export function widenToUploadSpan(range: TimeRange, span: { first: number; last: number } | undefined): TimeRange {
  if (span === undefined) return range
  return { from: range.from <= span.first ? -Infinity : range.from, to: range.to > span.last ? Infinity : range.to }
}

/** A time for SQL: ISO, or Postgres' ±infinity. */
export const sqlTime = (ms: number): string => (ms === Infinity ? 'infinity' : ms === -Infinity ? '-infinity' : new Date(ms).toISOString())
/**
 * Each upload's ranges, merged, as the parallel arrays SQL reads with
 * `unnest($uploads::uuid[], $from::timestamptz[], $to::timestamptz[])`: one element per range.
 */
export function rangeArrays(entries: Iterable<readonly [string, readonly TimeRange[]]>): { uploadIds: string[]; from: string[]; to: string[] } {
  const out = { uploadIds: [] as string[], from: [] as string[], to: [] as string[] }
  for (const [uploadId, ranges] of entries) {
    for (const r of mergeRanges(ranges)) {
      out.uploadIds.push(uploadId)
      out.from.push(sqlTime(r.from))
      out.to.push(sqlTime(r.to))
    }
  }
  return out
}

/** The coverage of `ruleId` over each of `uploadIds` (absent: nothing covered), with its revision. */
export async function loadCoverage(
  client: pg.ClientBase | pg.Pool,
  ruleId: string,
  uploadIds: readonly string[],
): Promise<Map<string, { revision: number; ranges: TimeRange[] }>> {
  // Epoch milliseconds as float8: ±infinity come back as "Infinity"/"-Infinity", which Number() reads.
  const { rows } = await client.query<{ upload_id: string; rule_revision: number; covered_from: string; covered_to: string }>(
    `SELECT upload_id, rule_revision, (extract(epoch FROM covered_from) * 1000)::float8 AS covered_from, (extract(epoch FROM covered_to) * 1000)::float8 AS covered_to
     FROM rule_coverage WHERE rule_id = $1 AND upload_id = ANY($2::uuid[]) ORDER BY upload_id, covered_from`,
    [ruleId, uploadIds],
  )
  const out = new Map<string, { revision: number; ranges: TimeRange[] }>()
  for (const r of rows) {
    const entry = out.get(r.upload_id) ?? { revision: r.rule_revision, ranges: [] }
    entry.ranges.push({ from: Number(r.covered_from), to: Number(r.covered_to) })
    out.set(r.upload_id, entry)
  }
  return out
}

/** Replaces the coverage of `ruleId` over each upload with its ranges (merged) at `revision`, in one statement. */
export async function writeCoverages(client: pg.ClientBase, tenantId: string, ruleId: string, revision: number, uploads: readonly { uploadId: string; ranges: readonly TimeRange[] }[]): Promise<void> {
  if (uploads.length === 0) return
  const rows = rangeArrays(uploads.map((u) => [u.uploadId, u.ranges] as const))
  // The delete in a data-modifying WITH: it reads the rows as they were before the statement, so
  // it removes the old ranges and never the ones inserted beside it.
  await client.query(
    `WITH old AS (DELETE FROM rule_coverage WHERE rule_id = $2 AND upload_id = ANY($7::uuid[]))
     INSERT INTO rule_coverage (tenant_id, rule_id, upload_id, rule_revision, covered_from, covered_to)
     SELECT $1, $2, u, $3, f, t FROM unnest($4::uuid[], $5::timestamptz[], $6::timestamptz[]) AS x(u, f, t)`,
    [tenantId, ruleId, revision, rows.uploadIds, rows.from, rows.to, uploads.map((u) => u.uploadId)],
  )
}

/** Records that `rules` evaluated every event of `uploadId` (ingest), replacing earlier coverage. */
export async function coverWholeUpload(client: pg.ClientBase, tenantId: string, uploadId: string, rules: readonly { ruleId: string; revision: number }[]): Promise<void> {
  await client.query('DELETE FROM rule_coverage WHERE upload_id = $1', [uploadId])
  if (rules.length === 0) return
  await client.query(
    `INSERT INTO rule_coverage (tenant_id, rule_id, upload_id, rule_revision, covered_from, covered_to)
     SELECT $1, r, $2, v, '-infinity', 'infinity' FROM unnest($3::uuid[], $4::int[]) AS x(r, v)`,
    [tenantId, uploadId, rules.map((r) => r.ruleId), rules.map((r) => r.revision)],
  )
}
