import { readdir, readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { parseRuleDocuments, type MacroDefinition, type RuleDefinition, type RuleIssue } from '../detection/index.js'

/**
 * Reads rule and macro YAML from files and folders (folders recursively, *.yml and *.yaml, in
 * name order), as `watchpost scan --rules` and `watchpost rules check` take them.
 */

export interface LoadedRuleFiles {
  rules: { rule: RuleDefinition; file: string }[]
  macros: MacroDefinition[]
  errors: (RuleIssue & { file: string })[]
}


const isYaml = (name: string): boolean => /\.ya?ml$/i.test(name)

/** Expands paths into YAML files; a missing path is an error that names it. */
export async function collectYamlFiles(paths: string[]): Promise<string[]> {
  const out: string[] = []
  for (const p of paths) {
    let info
    try {
      info = await stat(p)
    } catch {
      throw new Error(`rule path not found: ${p}`)
    }
    if (info.isDirectory()) {
      const entries = (await readdir(p, { recursive: true, withFileTypes: true }))
        .filter((e) => e.isFile() && isYaml(e.name))
        .map((e) => join(e.parentPath, e.name))
        .sort()
      out.push(...entries)
    } else {
      out.push(p)
    }
  }
  return out
}

export async function loadRuleFiles(paths: string[]): Promise<LoadedRuleFiles> {
  const result: LoadedRuleFiles = { rules: [], macros: [], errors: [] }
  for (const file of await collectYamlFiles(paths)) {
    const parsed = parseRuleDocuments(await readFile(file, 'utf8'), { file })
    result.rules.push(...parsed.rules.map((rule) => ({ rule, file })))
    result.macros.push(...parsed.macros)
    result.errors.push(...parsed.errors.map((e) => ({ ...e, file })))
  }
  return result
}
