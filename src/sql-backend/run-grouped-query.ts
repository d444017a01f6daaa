import type pg from 'pg'
import { DetectionAggregator, type CompiledRule, type GroupedRow } from '../detection/index.js'
import { buildGroupedQuery, type QueryScope } from './grouped-query.js'
import { partialGroupsOf, type GroupedQueryRow } from './partial-groups.js'

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
