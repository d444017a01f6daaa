import { LineCounter, parseAllDocuments, type Document } from 'yaml'
import type { RuleIssue } from '../errors.js'
import type { MacroDefinition } from '../macros/macro.js'
import { parseMacroKey } from '../macros/macro.js'
import { isKnownTechnique } from '../mitre/attack-table.js'
import { filterMacroNameFor, type Rba, type RuleDefinition } from './rule-definition.js'
import { detectionSchema, macroSchema, type DetectionDocument } from './schema.js'
import { rbaFromV5Tags } from './v5-rba.js'
import { DocumentIssues } from './yaml-issues.js'

/**
 * Imports ESCU YAML as written: a stream of one or more documents (separated by `---`), each a
 * detection (it has `search`) or a macro (it has `definition`). Problems are collected per
 * document — one bad document never hides the others — and a document with an error is dropped
 * while warnings keep it. The search is not compiled here: that needs the tenant's macros
 * (see compileRule / checkRule).
 */

/** Everything found in one YAML stream. */
export interface ParsedRuleDocuments {
  readonly rules: RuleDefinition[]
  readonly macros: MacroDefinition[]
  /** Errors and warnings, in document order. */
  readonly errors: RuleIssue[]
}

/** Where the text came from, for messages. */
export interface ParseRuleOptions {
  readonly file?: string
}

/** Parses a YAML stream of ESCU detections and macros. */
export function parseRuleDocuments(text: string, options: ParseRuleOptions = {}): ParsedRuleDocuments {
  const file = options.file ?? null
  const lineCounter = new LineCounter()
  const out: ParsedRuleDocuments = { rules: [], macros: [], errors: [] }
  parseAllDocuments(text, { lineCounter }).forEach((doc, index) => {
    const issues = new DocumentIssues(doc, lineCounter, file, index)
    importDocument(doc, text, issues, out, { file, index })
    out.errors.push(...issues.issues)
  })
  return out
}

function importDocument(doc: Document, text: string, issues: DocumentIssues, out: ParsedRuleDocuments, at: { file: string | null; index: number }): void {
  for (const e of doc.errors) issues.addAt('error', e.pos[0], `YAML: ${e.message.split('\n')[0]}`)
  for (const w of doc.warnings) issues.addAt('warning', w.pos[0], `YAML: ${w.message.split('\n')[0]}`)
  if (doc.errors.length > 0) return
  let value: unknown
  try {
    value = doc.toJS()
  } catch (e) {
    issues.add('error', [], `YAML: ${e instanceof Error ? e.message : String(e)}`)
    return
  }
  if (value === null || value === undefined) return
  if (typeof value !== 'object' || Array.isArray(value)) {
    issues.add('error', [], 'document must be a mapping (a detection or a macro)')
    return
  }
  const yaml = doc.range === undefined ? text : text.slice(doc.range[0], doc.range[2])
  if ('search' in value) {
    const rule = toRule(value, issues, { ...at, yaml })
    if (rule !== null) out.rules.push(rule)
  } else if ('definition' in value) {
    const macro = toMacro(value, issues, yaml)
    if (macro !== null) out.macros.push(macro)
  } else {
    issues.add('error', [], 'document is neither a detection (no `search`) nor a macro (no `definition`)')
  }
}

function toRule(value: object, issues: DocumentIssues, at: { file: string | null; index: number; yaml: string }): RuleDefinition | null {
  const parsed = detectionSchema.safeParse(value)
  if (!parsed.success) {
    issues.addZodIssues(parsed.error, value)
    return null
  }
  const d = parsed.data
  const rba = rbaOf(d, issues)
  if (rba === undefined) return null
  const mitreAttackIds = d.tags?.mitre_attack_id ?? []
  mitreAttackIds.forEach((id, i) => {
    if (!isKnownTechnique(id)) issues.add('warning', ['tags', 'mitre_attack_id', i], `ATT&CK technique ${id} is not in the bundled table`)
  })
  const filterMacroName = filterMacroNameFor(d.name)
  if (!d.search.includes(`\`${filterMacroName}\``)) {
    issues.add('warning', ['search'], `search does not call its filter macro \`${filterMacroName}\``)
  }
  return {
    id: d.id,
    name: d.name,
    version: d.version,
    date: d.date ?? null,
    author: d.author ?? null,
    status: d.status ?? null,
    type: d.type ?? null,
    description: d.description ?? null,
    dataSources: d.data_source ?? d.data_sources ?? [],
    search: d.search,
    howToImplement: d.how_to_implement ?? null,
    knownFalsePositives: d.known_false_positives ?? null,
    references: d.references ?? [],
    drilldowns: (d.drilldown_searches ?? []).map((x) => ({
      name: x.name,
      search: x.search,
      earliestOffset: x.earliest_offset,
      latestOffset: x.latest_offset,
    })),
    tags: {
      analyticStories: d.tags?.analytic_story ?? [],
      mitreAttackIds,
      securityDomain: d.tags?.security_domain ?? null,
      assetType: d.tags?.asset_type ?? null,
      product: d.tags?.product ?? [],
    },
    rba,
    filterMacroName,
    yaml: at.yaml,
    file: at.file,
    document: at.index,
  }
}

/** The rule's rba: the v11 block when present, else converted v5 tags; undefined after an error. */
function rbaOf(d: DetectionDocument, issues: DocumentIssues): Rba | null | undefined {
  if (d.rba !== null && d.rba !== undefined) {
    return {
      message: d.rba.message,
      riskObjects: (d.rba.risk_objects ?? []).map((o) => ({ field: o.field, type: o.type, score: o.score })),
      threatObjects: (d.rba.threat_objects ?? []).map((o) => ({ field: o.field, type: o.type })),
    }
  }
  if (d.tags === null || d.tags === undefined) return null
  const { rba, problem } = rbaFromV5Tags(d.tags)
  if (problem !== null) {
    issues.add('error', ['tags', 'risk_score'], problem)
    return undefined
  }
  return rba
}

function toMacro(value: object, issues: DocumentIssues, yaml: string): MacroDefinition | null {
  const parsed = macroSchema.safeParse(value)
  if (!parsed.success) {
    issues.addZodIssues(parsed.error, value)
    return null
  }
  const m = parsed.data
  const args = m.arguments ?? []
  const key = parseMacroKey(m.name)
  if (key.name !== m.name && key.arity !== args.length) {
    issues.add('error', ['arguments'], `macro ${m.name} declares ${key.arity} argument(s) but lists ${args.length}`)
    return null
  }
  const macro: MacroDefinition = { name: key.name, args, definition: m.definition, yaml }
  return m.description === null || m.description === undefined ? macro : { ...macro, description: m.description }
}
