/**
 * The SQL backend of the rule engine: the same tstats semantics as DetectionAggregator, evaluated
 * by Postgres over the stored `process_events`. SQL building is pure; only runGroupedQuery does I/O.
 */

/** Bind-parameter collection for generated statements. */
export { SqlParams, type SqlParamValue } from './sql-params.js'
/** WHERE tree → Postgres boolean expression. */
export { compileWhereToSql } from './where-to-sql.js'
/** SPL value → LIKE/equality pattern. */
export { likePatternOf, valuePatternOf, type ValuePattern } from './value-pattern.js'
/** The grouped tstats query of a rule. */
export { buildGroupedQuery, type QueryScope, type SqlQuery } from './grouped-query.js'
/** Result rows → the engine's partial groups. */
export { partialGroupsOf, type GroupedQueryRow } from './partial-groups.js'
/** Query + grouping into GroupedRows. */
export { runGroupedQuery, runGroupedQueryPerUpload } from './run-grouped-query.js'
/** The stored events behind a grouped row (drilldown), counted or a page at a time. */
export { buildGroupEventsCount, buildGroupEventsPage, groupEventOf, type GroupEvent, type GroupEventRow, type GroupEventsPage, type GroupEventsScope } from './group-events.js'
/** One stored event behind a grouped row (for explanations). */
export { findSampleEvent } from './sample-event.js'
