import { readdirSync, readFileSync } from 'node:fs'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  checkRule,
  createMacroSet,
  describeDetection,
  DetectionAggregator,
  parseRuleDocuments,
  parseSearch,
  RuleSyntaxError,
  type MacroDefinition,
  type RuleDefinition,
} from '../../../src/detection/index.js'
import { readEventBatches, type IngestItem } from '../../../src/ingest/index.js'
import { FUZZ_TEST_TIMEOUT_MS, fuzzOptions, INTERNAL_ERROR_TEXT } from '../../helpers/fuzz.js'
import { ruleWith } from './helpers.js'

/**
 * Fuzzing of the rule parser, as a tenant reaches it with importRules / validateRule: the ESCU
 * YAML importer (parseRuleDocuments), the macro expander and the SPL parser and compiler
 * (checkRule, parseSearch), over every bundled rule and macro and the rule fixtures, mutated
 * character by character and token by token. Whatever the text:
 *
 *   - nothing throws but RuleSyntaxError (from parseSearch; checkRule returns it), and every
 *     error has a position inside the search and a message that is not a JavaScript exception;
 *   - the importer collects issues with a severity, a document and a readable message;
 *   - a rule that compiles can be run over events and rendered without throwing;
 *   - each case finishes in bounded time (recursive macros, deep nesting, long values).
 *
 * FUZZ_RUNS raises the number of cases.
 */

const RULES_DIR = new URL('../../../src/rules/escu/', import.meta.url)
const yamlIn = (dir: URL): string[] =>
  readdirSync(dir)
    .filter((f) => f.endsWith('.yml'))
    .map((f) => readFileSync(new URL(f, dir), 'utf8'))

const RULE_TEXTS = [...yamlIn(RULES_DIR), ...yamlIn(new URL('../../fixtures/rules/', import.meta.url))]
const MACRO_TEXTS = yamlIn(new URL('macros/', RULES_DIR))
const MACROS: MacroDefinition[] = MACRO_TEXTS.flatMap((t) => parseRuleDocuments(t).macros)
const MACRO_SET = createMacroSet(MACROS)
const SEARCHES = RULE_TEXTS.flatMap((t) => parseRuleDocuments(t).rules.map((r) => r.search))

/** SPL and YAML pieces that steer the parsers into their corners. */
const SPL_TOKENS = [
  '|', '| tstats', '| stats', '| search', '| table x', '| `drop_dm_object_name(Processes)`', '| `security_content_ctime(firstTime)`', '(', ')', '((((((((((', '))))))))))',
  ' AND ', ' OR ', ' NOT ', 'NOT NOT NOT ', ' IN ', ' IN (', ',', '=', '!=', '<', '>=', '==', '"', '\\"', '\\\\', '\\', '*', '**', '"*"', '`', '``', '`process_cmd`',
  '`missing_macro`', '`security_content_summariesonly`', '`drop_dm_object_name(`', '`macro(a,b,c)`', '$arg$', 'count', 'min(_time)', 'as firstTime', 'values(Processes.process)',
  'dc(Processes.user)', 'FROM datamodel=Endpoint.Processes', 'datamodel=Network_Traffic', 'WHERE', 'BY', 'by Processes.dest', 'Processes.process_name=', 'Processes.nosuch=',
  'summariesonly=true', 'fillnull_value=null', '\n', '\r\n', '\t', '\u0000', '\uFEFF', '😀', 'İ', '  ',
]
const YAML_TOKENS = [': ', ':', '- ', '\n- ', '\n  ', '---\n', '...\n', '&a ', '*a', '!!binary ', '!!str ', '? ', '{', '}', '[', ']', '|\n  ', '>\n  ', "'", '"', '#', '%YAML 1.2\n', '<<: *a\n', 'null', '~', '1e999', '0x1F', 'search: ', 'definition: ', 'tags:\n  mitre_attack_id:\n  - T9999\n', 'rba:\n  risk_objects: [{field: user, type: user, score: 1e9}]\n']

type Edit = { at: number; kind: 'insert'; text: string } | { at: number; kind: 'delete'; length: number } | { at: number; kind: 'duplicate'; length: number }

const edit = (tokens: readonly string[]): fc.Arbitrary<Edit> =>
  fc.oneof(
    fc.record({ at: fc.nat(), kind: fc.constant('insert' as const), text: fc.oneof(fc.constantFrom(...tokens), fc.string({ maxLength: 8 })) }),
    fc.record({ at: fc.nat(), kind: fc.constant('delete' as const), length: fc.integer({ min: 1, max: 30 }) }),
    fc.record({ at: fc.nat(), kind: fc.constant('duplicate' as const), length: fc.integer({ min: 1, max: 200 }) }),
  )

function applyEdits(text: string, edits: Edit[]): string {
  return edits.reduce((t, e) => {
    const at = e.at % (t.length + 1)
    if (e.kind === 'insert') return t.slice(0, at) + e.text + t.slice(at)
    if (e.kind === 'delete') return t.slice(0, at) + t.slice(at + e.length)
    return t.slice(0, at) + t.slice(at, at + e.length) + t.slice(at)
  }, text)
}

const TIME_BOUND_MS = 5_000

/** A few real events for compiled rules to run over: every bundled true-positive log. */
async function fixtureEvents() {
  const dir = new URL('../../../src/rules/fixtures/', import.meta.url)
  const items: IngestItem[] = []
  for (const name of readdirSync(dir).filter((n) => !n.includes('.'))) {
    const bytes = readFileSync(new URL(`${name}/true-positive.xml`, dir))
    for await (const batch of readEventBatches((async function* () {
      yield bytes
    })())) items.push(...batch.items)
  }
  return items.flatMap((i) => (i.kind === 'event' ? [i.event] : []))
}
const EVENTS = await fixtureEvents()

/** checkRule must answer, never throw; a failure names a position inside the search. */
function checkCompiles(rule: RuleDefinition, macros = MACRO_SET): void {
  const started = performance.now()
  const check = checkRule(rule, macros)
  if (!check.ok) {
    // A null position means something other than a RuleSyntaxError was thrown inside.
    expect(check.line, check.message).not.toBeNull()
    expect(check.line!).toBeGreaterThanOrEqual(1)
    expect(check.column!).toBeGreaterThanOrEqual(1)
    expect(check.line!).toBeLessThanOrEqual(rule.search.split('\n').length)
    expect(check.message).toMatch(/search line \d+, column \d+: /)
    expect(check.reason).not.toMatch(INTERNAL_ERROR_TEXT)
  } else {
    const aggregator = new DetectionAggregator([check.compiled])
    for (const event of EVENTS) aggregator.add(event)
    for (const row of aggregator.rows()) describeDetection(row)
  }
  expect(performance.now() - started).toBeLessThan(TIME_BOUND_MS)
}

describe('fuzzing the rule parser', () => {
  it('mutated ESCU YAML: the importer collects issues and never throws; every imported rule compiles or says where it fails', () => {
    fc.assert(
      fc.property(fc.nat({ max: RULE_TEXTS.length - 1 }), fc.array(edit(YAML_TOKENS), { minLength: 1, maxLength: 5 }), (sample, edits) => {
        const text = applyEdits(RULE_TEXTS[sample]!, edits)
        const started = performance.now()
        const parsed = parseRuleDocuments(text, { file: 'fuzz.yml' })
        expect(performance.now() - started).toBeLessThan(TIME_BOUND_MS)
        for (const issue of parsed.errors) {
          expect(['error', 'warning']).toContain(issue.severity)
          expect(Number.isInteger(issue.document) && issue.document >= 0).toBe(true)
          expect(issue.message.length).toBeGreaterThan(0)
          expect(issue.message).not.toMatch(INTERNAL_ERROR_TEXT)
          if (issue.line !== undefined) expect(issue.line).toBeGreaterThanOrEqual(1)
        }
        for (const rule of parsed.rules) checkCompiles(rule)
        // Macros imported from the same text layer over the bundled ones, as a tenant's would.
        if (parsed.macros.length > 0) for (const rule of parsed.rules) checkCompiles(rule, createMacroSet(MACROS, parsed.macros))
      }),
      fuzzOptions(300),
    )
  }, FUZZ_TEST_TIMEOUT_MS)

  it('mutated searches of every bundled rule: compiled, or a RuleSyntaxError with its line and column', () => {
    fc.assert(
      fc.property(fc.nat({ max: SEARCHES.length - 1 }), fc.array(edit(SPL_TOKENS), { minLength: 1, maxLength: 6 }), (sample, edits) => {
        checkCompiles(ruleWith(applyEdits(SEARCHES[sample]!, edits)))
      }),
      fuzzOptions(800),
    )
  }, FUZZ_TEST_TIMEOUT_MS)

  it('token soup: parseSearch throws nothing but RuleSyntaxError, positioned inside the text', () => {
    const soup = fc.array(fc.oneof(fc.constantFrom(...SPL_TOKENS), fc.string({ maxLength: 6 }), fc.constantFrom(' ', ' ', ' ')), { maxLength: 60 }).map((parts) => `| tstats ${parts.join('')}`)
    fc.assert(
      fc.property(fc.oneof(soup, fc.string({ unit: 'binary', maxLength: 200 })), (search) => {
        try {
          parseSearch(search, MACRO_SET)
        } catch (err) {
          expect(err, String(err)).toBeInstanceOf(RuleSyntaxError)
          const e = err as RuleSyntaxError
          expect(e.line).toBeGreaterThanOrEqual(1)
          expect(e.line).toBeLessThanOrEqual(search.split('\n').length)
          expect(e.column).toBeGreaterThanOrEqual(1)
          expect(e.reason).not.toMatch(INTERNAL_ERROR_TEXT)
        }
      }),
      fuzzOptions(1500),
    )
  }, FUZZ_TEST_TIMEOUT_MS)

  it('hostile macro sets (recursive, expanding to pipes, odd arguments): compiled or a positioned error, in bounded time', () => {
    const definition = fc.oneof(
      fc.constantFrom('`self`', '`a` `b`', '| search x', 'Processes.process=$x$', '$x$ $y$', '(', ')', '`drop_dm_object_name($x$)`', 'search user!=$x$', ''),
      fc.array(fc.constantFrom(...SPL_TOKENS), { maxLength: 8 }).map((parts) => parts.join(' ')),
    )
    const macro = fc.record({ name: fc.constantFrom('self', 'a', 'b', 'process_cmd', 'process_net', 'security_content_summariesonly', 'windows_ngrok_reverse_proxy_usage_filter'), args: fc.constantFrom<string[]>([], ['x'], ['x', 'y']), definition })
    fc.assert(
      fc.property(fc.nat({ max: SEARCHES.length - 1 }), fc.array(macro, { minLength: 1, maxLength: 6 }), fc.array(edit(['`self`', '`a`', '`b`', '`a(1)`', '`b(1,2)`']), { maxLength: 3 }), (sample, macros, edits) => {
        checkCompiles(ruleWith(applyEdits(SEARCHES[sample]!, edits)), createMacroSet(MACROS, macros))
      }),
      fuzzOptions(500),
    )
  }, FUZZ_TEST_TIMEOUT_MS)
})
