import { existsSync, readFileSync, readdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { parseRuleDocuments, type MacroDefinition, type RuleDefinition, type RuleIssue } from '../../../src/detection/index.js'

/**
 * The ESCU corpus (300 Endpoint.Processes detections and 40 macros) lives in the shared data folder
 * next to the repository (`../shared` from the repo root). Suites that use it are skipped, and
 * reported as skipped, when it is absent rather than passing vacuously.
 */

export const CORPUS = new URL('../../../../shared/datasets/escu-endpoint-processes/', import.meta.url)
export const corpusPresent = existsSync(fileURLToPath(CORPUS))

/** Every `.yml` file under `dir`, depth first. */
function yamlFiles(dir: URL): URL[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? yamlFiles(new URL(`${e.name}/`, dir)) : e.name.endsWith('.yml') ? [new URL(e.name, dir)] : [],
  )
}

const relative = (u: URL): string => u.href.slice(CORPUS.href.length)

/** The corpus as imported, with the issues of each file (rules keep their relative file name). */
export interface EscuCorpus {
  readonly macros: MacroDefinition[]
  readonly rules: { readonly file: string; readonly rule: RuleDefinition }[]
  readonly macroIssues: RuleIssue[]
  readonly ruleIssues: RuleIssue[]
}

/** Imports the corpus; call only when corpusPresent. */
export function loadEscuCorpus(): EscuCorpus {
  const corpus: EscuCorpus = { macros: [], rules: [], macroIssues: [], ruleIssues: [] }
  for (const url of yamlFiles(new URL('macros/', CORPUS))) {
    const parsed = parseRuleDocuments(readFileSync(url, 'utf8'), { file: relative(url) })
    corpus.macros.push(...parsed.macros)
    corpus.macroIssues.push(...parsed.errors)
  }
  for (const url of yamlFiles(new URL('detections/', CORPUS))) {
    const parsed = parseRuleDocuments(readFileSync(url, 'utf8'), { file: relative(url) })
    corpus.rules.push(...parsed.rules.map((rule) => ({ file: relative(url), rule })))
    corpus.ruleIssues.push(...parsed.errors)
  }
  return corpus
}
