import { readdir, readFile } from 'node:fs/promises'
import { compileRule, DetectionAggregator, parseRuleDocuments, type MacroSet } from '../detection/index.js'
import { readEventBatches } from '../ingest/index.js'

/**
 * The detection content Watchpost ships: ESCU detections copied verbatim into `escu/`, the
 * macros they use in `escu/macros/`, and for every detection a synthetic true-positive and
 * true-negative Sysmon log in `fixtures/<file stem>/` (see README.md next to this module).
 * Files are located relative to this module, so the pack works from any checkout or install.
 */

/** The bundled ESCU detections (one YAML file per detection). */
export const BUNDLED_RULES_DIR = new URL('./escu/', import.meta.url)
/** The ESCU macros the bundled detections use (beyond the engine's builtins). */
export const BUNDLED_MACROS_DIR = new URL('./escu/macros/', import.meta.url)
/** `<rule file stem>/true-positive.xml` and `true-negative.xml` for every bundled detection. */
export const BUNDLED_FIXTURES_DIR = new URL('./fixtures/', import.meta.url)

/** Raw logs a rule is tested against: it must detect something in one and nothing in the other. */
export interface RuleFixtures {
  readonly truePositive: Uint8Array
  readonly trueNegative: Uint8Array
}

export interface BundledRule {
  /** File name inside BUNDLED_RULES_DIR, e.g. `windows_ngrok_reverse_proxy_usage.yml`. */
  readonly file: string
  readonly id: string
  readonly name: string
  /** The file's text, verbatim. */
  readonly yaml: string
  readonly fixtures: { readonly truePositive: Buffer; readonly trueNegative: Buffer }
}

export interface BundledMacro {
  /** File name inside BUNDLED_MACROS_DIR, e.g. `process_cmd.yml`. */
  readonly file: string
  /** The file's text, verbatim. */
  readonly yaml: string
}

export interface FixtureOutcome {
  /** True-positive: at least one grouped row; true-negative: none. */
  readonly passed: boolean
  /** Number of grouped rows (after the rule's `_filter` macro). */
  readonly detections: number
}

export interface RuleFixtureResult {
  readonly truePositive: FixtureOutcome
  readonly trueNegative: FixtureOutcome
}

const isYaml = (name: string): boolean => /\.ya?ml$/i.test(name)

async function yamlFilesIn(dir: URL): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true })
  return entries
    .filter((e) => e.isFile() && isYaml(e.name))
    .map((e) => e.name)
    .sort()
}

const stemOf = (file: string): string => file.replace(/\.ya?ml$/i, '')

/** Every bundled detection with its verbatim YAML and fixtures, in file-name order. */
export async function listBundledRules(): Promise<BundledRule[]> {
  const out: BundledRule[] = []
  for (const file of await yamlFilesIn(BUNDLED_RULES_DIR)) {
    const yaml = await readFile(new URL(file, BUNDLED_RULES_DIR), 'utf8')
    const parsed = parseRuleDocuments(yaml, { file })
    const errors = parsed.errors.filter((e) => e.severity === 'error')
    if (errors.length > 0 || parsed.rules.length !== 1) {
      const why = errors.length > 0 ? errors.map((e) => e.message).join('; ') : `${parsed.rules.length} detections in the file`
      throw new Error(`bundled rule ${file} is not one valid ESCU detection: ${why}`)
    }
    const rule = parsed.rules[0]!
    const fixtureDir = new URL(`${stemOf(file)}/`, BUNDLED_FIXTURES_DIR)
    const [truePositive, trueNegative] = await Promise.all([
      readFile(new URL('true-positive.xml', fixtureDir)),
      readFile(new URL('true-negative.xml', fixtureDir)),
    ])
    out.push({ file, id: rule.id, name: rule.name, yaml, fixtures: { truePositive, trueNegative } })
  }
  return out
}

/** Every bundled macro file, verbatim, in file-name order. */
export async function loadBundledMacros(): Promise<BundledMacro[]> {
  const out: BundledMacro[] = []
  for (const file of await yamlFilesIn(BUNDLED_MACROS_DIR)) {
    out.push({ file, yaml: await readFile(new URL(file, BUNDLED_MACROS_DIR), 'utf8') })
  }
  return out
}

async function* once(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  yield bytes
}

/**
 * Compiles the one detection in `yamlText` against `macros` and runs it over each fixture log
 * with the real reader and aggregator. Throws when the YAML is not exactly one valid detection
 * or the search does not compile (RuleSyntaxError, with its position).
 */
export async function runRuleFixtures(yamlText: string, macros: MacroSet, fixtures: RuleFixtures): Promise<RuleFixtureResult> {
  const parsed = parseRuleDocuments(yamlText)
  const errors = parsed.errors.filter((e) => e.severity === 'error')
  if (errors.length > 0) throw new Error(`rule YAML has errors: ${errors.map((e) => e.message).join('; ')}`)
  if (parsed.rules.length !== 1) throw new Error(`expected exactly one detection in the YAML, found ${parsed.rules.length}`)
  const compiled = compileRule(parsed.rules[0]!, macros)

  const count = async (log: Uint8Array): Promise<number> => {
    const aggregator = new DetectionAggregator([compiled])
    for await (const batch of readEventBatches(once(log))) {
      for (const item of batch.items) if (item.kind === 'event') aggregator.add(item.event)
    }
    return aggregator.rows().length
  }
  const [tp, tn] = await Promise.all([count(fixtures.truePositive), count(fixtures.trueNegative)])
  return {
    truePositive: { passed: tp >= 1, detections: tp },
    trueNegative: { passed: tn === 0, detections: tn },
  }
}
