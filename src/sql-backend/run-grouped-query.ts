import pg from 'pg'
import { withTransaction } from '../db/transaction.js'
import { DetectionAggregator, type CompiledRule, type GroupedRow } from '../detection/index.js'
import { buildGroupedQuery, type QueryScope } from './grouped-query.js'
import { partialGroupsOf, type GroupedQueryRow } from './partial-groups.js'
import { ALIAS } from './query-plan.js'

/** The part of a pg Client or Pool used here. */
interface Queryable {
  query<R extends pg.QueryResultRow>(text: string, values: unknown[]): Promise<pg.QueryResult<R>>
}

/**
 * Runs `rule` over the stored events of `scope` and returns the rows DetectionAggregator would
 * return for the same events: Postgres filters and groups, and the engine's aggregator turns the
 * groups into rows (keys, aggregates, the rule's `_filter`, order), so none of that is redone here.
 */
export async function runGroupedQuery(client: pg.ClientBase | pg.Pool, rule: CompiledRule, scope: QueryScope): Promise<GroupedRow[]> {
  const { text, values } = buildGroupedQuery(rule, scope)
  const queryable: Queryable = client
  const result = await queryable.query<GroupedQueryRow>(text, values)
  const aggregator = new DetectionAggregator([rule])
  aggregator.importGroups(partialGroupsOf(rule, result.rows))
  return aggregator.rows()
}

/**
 * Runs `rule` over the coverage ranges of `scope` (QueryScope.coverage) and returns, per upload,
 * the rows DetectionAggregator would return for that upload's covered events — each upload is
 * its own batch, as at ingest, so `_filter` sees per-upload groups in both places.
 */
export async function runGroupedQueryPerUpload(client: pg.ClientBase | pg.Pool, rule: CompiledRule, scope: QueryScope & { coverage: NonNullable<QueryScope['coverage']> }): Promise<Map<string, GroupedRow[]>> {
  const { text, values } = buildGroupedQuery(rule, scope)
  const result = client instanceof pg.Pool ? await withTransaction(client, (c) => queryHashed<GroupedQueryRow>(c, text, values)) : await (client as Queryable).query<GroupedQueryRow>(text, values)
  const byUpload = new Map<string, GroupedQueryRow[]>()
  for (const row of result.rows) {
    const uploadId = String(row[ALIAS.upload])
    const list = byUpload.get(uploadId) ?? []
    list.push(row)
    byUpload.set(uploadId, list)
  }
  const out = new Map<string, GroupedRow[]>()
  for (const uploadId of new Set(scope.coverage.uploadIds)) {
    const aggregator = new DetectionAggregator([rule])
    aggregator.importGroups(partialGroupsOf(rule, byUpload.get(uploadId) ?? []))
    out.set(uploadId, aggregator.rows())
  }
  return out
}

/**
 * Runs a grouped query over coverage with hashing and without JIT, in the caller's transaction
 * (SET LOCAL). The planner cannot know how many events a rule's WHERE keeps, and guesses few: it
 * would then sort them to group by the rule's many BY columns (it costs a sort the same whatever
 * the number of keys) and join them to the coverage ranges in a nested loop (re-reading them once
 * per range). Hashing takes a fraction of the time either way; the groups' order does not matter
 * (the aggregator orders the rows).
 * JIT compiles the hashing and output of every BY column (20 for most ESCU rules) and costs more
 * than it saves at any size: over 10M events, 20-35 ms of compilation on the index scan of the
 * few events a rule keeps, and 1.6 s on a sequential scan of all of them (2.65 s with, 1.92 s
 * without).
 */
async function queryHashed<R extends pg.QueryResultRow>(client: pg.ClientBase, text: string, values: unknown[]): Promise<pg.QueryResult<R>> {
  await client.query('SET LOCAL enable_sort = off; SET LOCAL enable_nestloop = off; SET LOCAL jit = off')
  return client.query<R>(text, values)
}
