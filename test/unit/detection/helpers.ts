import { readFileSync } from 'node:fs'
import {
  applyCimDataModel,
  compileRule,
  createMacroSet,
  parseRuleDocuments,
  type CompiledRule,
  type ExtractedProcessFields,
  type MacroSet,
  type ProcessEvent,
  type RuleDefinition,
} from '../../../src/detection/index.js'

/**
 * Shared test helpers: fixture loading relative to this file (never an absolute path), events built
 * through the real CIM data model, and a one-line rule builder for searches written inline.
 */

export const FIXTURES = new URL('../../fixtures/rules/', import.meta.url)

/** Text of a file in test/fixtures/rules/. */
export function fixture(name: string): string {
  return readFileSync(new URL(name, FIXTURES), 'utf8')
}

/** A Sysmon-like event: the add-on extraction passed through applyCimDataModel. */
export function processEvent(time: number, raw: ExtractedProcessFields, sourcetype = 'xmlwineventlog'): ProcessEvent {
  return applyCimDataModel(time, raw, sourcetype)
}

/** A minimal rule around `search`, for parser and matcher tests. */
export function ruleWith(search: string, extra: Partial<RuleDefinition> = {}): RuleDefinition {
  return {
    id: '00000000-0000-4000-8000-000000000001',
    name: 'Test Rule',
    version: 1,
    date: null,
    author: null,
    status: null,
    type: null,
    description: null,
    dataSources: [],
    search,
    howToImplement: null,
    knownFalsePositives: null,
    references: [],
    drilldowns: [],
    tags: { analyticStories: [], mitreAttackIds: [], securityDomain: null, assetType: null, product: [] },
    rba: null,
    filterMacroName: 'test_rule_filter',
    yaml: '',
    file: null,
    document: 0,
    ...extra,
  }
}

/** ESCU's standard prefix, so that tests only write the WHERE and BY parts. */
export const TSTATS = '| tstats `security_content_summariesonly` count min(_time) as firstTime max(_time) as lastTime from datamodel=Endpoint.Processes'

/** Compiles `where` (a tstats WHERE body) grouped by dest, with builtins plus `macros`. */
export function compileWhere(where: string, macros: MacroSet = createMacroSet()): CompiledRule {
  return compileRule(ruleWith(`${TSTATS} where ${where} by Processes.dest | \`drop_dm_object_name(Processes)\``), macros)
}

/** The seed detection (ESCU v11), imported from its fixture. */
export function seedRule(): RuleDefinition {
  const parsed = parseRuleDocuments(fixture('windows_ngrok_reverse_proxy_usage.yml'), { file: 'windows_ngrok_reverse_proxy_usage.yml' })
  if (parsed.rules.length !== 1) throw new Error(`seed fixture did not import: ${JSON.stringify(parsed.errors)}`)
  return parsed.rules[0]!
}

/** A moment and a Sysmon-like extraction around which the ngrok tests build their events. */
export const NGROK_T0 = Date.UTC(2024, 3, 22, 16, 59, 33, 418)
export const NGROK_EVENT_BASE: ExtractedProcessFields = {
  action: 'allowed',
  dest: 'win-dc-01.corp.local',
  user: 'alice',
  parent_process: 'C:\\Windows\\System32\\cmd.exe',
  parent_process_name: 'cmd.exe',
  process_name: 'ngrok.exe',
  process_path: 'C:\\Users\\alice\\Downloads\\ngrok.exe',
  process_guid: '{96128EA2-F212-5F7E-E400-000000007F01}',
  process_id: '4242',
  process_integrity_level: 'Medium',
  vendor_product: 'Microsoft Sysmon',
}
