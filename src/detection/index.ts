/**
 * The detection engine's public surface; other modules import from here only. The engine is
 * pure: no I/O, no clock, no environment — rules, macros and events come in as data.
 */

/** The event contract: CIM field list, ProcessEvent and field guard. */
export * from './event.js'
/** The CIM Endpoint.Processes data model applied to an add-on extraction. */
export * from './cim.js'

/** Search errors with line/column, import issues, and their position type. */
export { RuleSyntaxError, type RuleIssue, type IssueSeverity, type RuleOrigin, type SourcePosition } from './errors.js'

/** Macro definitions, the layered macro set and its factory. */
export type { MacroDefinition } from './macros/macro.js'
/** Splunk's `name(N)` key of a macro. */
export { macroKey } from './macros/macro.js'
/** An immutable macro lookup; createMacroSet layers builtins, imports and tenant overrides. */
export { MacroSet, createMacroSet } from './macros/macro-set.js'
/** The builtin macros (security_content_summariesonly chain, drop_dm_object_name, ctime). */
export { BUILTIN_MACROS } from './macros/builtin.js'

/** ESCU YAML import: detections and macros from a YAML stream, with collected issues. */
export { parseRuleDocuments, type ParsedRuleDocuments, type ParseRuleOptions } from './rule/escu-yaml.js'
/** The imported rule model. */
export type { RuleDefinition, RuleTags, Rba, RiskObject, RiskObjectType, ThreatObject, Drilldown } from './rule/rule-definition.js'
/** contentctl's `<name>_filter` macro name of a detection. */
export { filterMacroNameFor } from './rule/rule-definition.js'

/** Compilation of a rule against a macro set, throwing or checked. */
export { compileRule, checkRule, type RuleCheck } from './rule/compile.js'
/** Rule exceptions: their model, the check of entries as sent, and the rule to evaluate with them. */
export { EXCEPTION_OPERATORS, EXCEPTION_LIMITS, type ExceptionOperator, type ExceptionEntry, type RuleException } from './exceptions/rule-exception.js'
export { checkExceptionEntries, exceptionFieldOf, ExceptionEntryError, type ExceptionEntryInput } from './exceptions/check-entries.js'
export { applyExceptions, isExceptionActive } from './exceptions/apply-exceptions.js'
export { exceptionCondition } from './exceptions/exception-condition.js'
/** A compiled rule and its parts. */
export type { CompiledRule, CompiledAggregation, RowValues } from './rule/compiled-rule.js'

/** The SPL syntax tree (shared with other backends). */
export type { WhereNode, LiteralMatch, AggregationKind, AggregationNode, StageNode, TstatsQuery } from './spl/ast.js'
/** Parses a search without compiling it (for tools that translate the tree). */
export { parseSearch, SUPPORTED_DATAMODEL } from './spl/parse.js'

/** Streaming tstats grouping with mergeable partial groups. */
export { DetectionAggregator, type DetectionAggregatorOptions } from './group/aggregator.js'
/** A grouped result row and its JSON-safe partial form. */
export type { GroupedRow, PartialGroup } from './group/grouped-row.js'

/** The public JSON view of a detection and its parts. */
export { describeDetection, type DetectionView } from './render/describe.js'
/** Risk and threat object entries of a DetectionView. */
export type { RiskView, ThreatObjectView } from './render/risk.js'
/** ESCU's `%Y-%m-%dT%H:%M:%S` time rendering, in UTC. */
export { ctime } from './render/ctime.js'

/** A rule's drilldown searches filled in for a detection, and what each asks (ESCU's two kinds). */
export { renderDrilldown, detectionTokenValues, answerValue, type RenderedDrilldown, type DetectionTokenSource } from './drilldown/render-drilldown.js'
export { planDrilldown, ORIGINAL_SEARCH_PLACEHOLDER, type DrilldownPlan } from './drilldown/drilldown-plan.js'
export { renderTokens, type RenderedText } from './drilldown/render-tokens.js'

/** The bundled ATT&CK table. */
export { lookupTechniques, isKnownTechnique, techniqueTacticPairs, tacticsByTechnique, ATTACK_VERSION, type MitreTechnique } from './mitre/attack-table.js'
/** The ATT&CK Enterprise tactics in matrix order, with ids and short names. */
export { ATTACK_TACTICS, tacticNamed, type MitreTactic } from './mitre/attack-tactics.js'

/** How a WHERE/BY field name maps to an event field (shared with the SQL backend). */
export { eventFieldOf } from './rule/compile.js'
/** The `*` wildcard matcher with Splunk's case folding (shared with the SQL backend). */
export { compileWildcard, type WildcardMatcher } from './match/wildcard.js'

/** A normalized, human-readable form of a WHERE tree. */
export { formatWhere } from './explain/format-where.js'
/** Which WHERE terms an event satisfied, field by field. */
export { explainMatch, type TermExplanation } from './explain/explain-match.js'
