import { readdir, readFile, stat } from 'node:fs/promises'
import { describe, expect, it } from 'vitest'
import { checkRule, createMacroSet, parseRuleDocuments, type MacroDefinition } from '../../../src/detection/index.js'
import { readEventBatches, type IngestItem } from '../../../src/ingest/index.js'
import {
  BUNDLED_FIXTURES_DIR,
  BUNDLED_MACROS_DIR,
  BUNDLED_RULES_DIR,
  listBundledRules,
  loadBundledMacros,
  runRuleFixtures,
} from '../../../src/rules/bundled.js'

// The bundled detection pack: every rule compiles, detects its synthetic true positives and stays
// silent on its near misses, every fixture line is a well-formed process event, every macro is
// needed, and the README documents exactly what is shipped.

const rules = await listBundledRules()
const macroFiles = await loadBundledMacros()
const bundledMacros: MacroDefinition[] = macroFiles.flatMap((m) => parseRuleDocuments(m.yaml, { file: m.file }).macros)
const macros = createMacroSet(bundledMacros)

const stem = (file: string): string => file.replace(/\.ya?ml$/, '')
const linesOf = (bytes: Buffer): string[] => bytes.toString('utf8').split('\n').filter((l) => l.trim() !== '')

async function* once(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  yield bytes
}

async function readItems(bytes: Uint8Array): Promise<IngestItem[]> {
  const items: IngestItem[] = []
  for await (const batch of readEventBatches(once(bytes))) items.push(...batch.items)
  return items
}

const fixtureFiles = rules.flatMap((r) => [
  { label: `${stem(r.file)}/true-positive.xml`, bytes: r.fixtures.truePositive },
  { label: `${stem(r.file)}/true-negative.xml`, bytes: r.fixtures.trueNegative },
])

describe('bundled rule pack', () => {
  it('ships the ngrok reference rule plus a 15-rule starter pack, with unique ids and names', () => {
    expect(rules).toHaveLength(16)
    expect(rules.map((r) => r.file)).toContain('windows_ngrok_reverse_proxy_usage.yml')
    expect(new Set(rules.map((r) => r.id)).size).toBe(rules.length)
    expect(new Set(rules.map((r) => r.name)).size).toBe(rules.length)
  })

  it('keeps the YAML verbatim and the Apache-2.0 licence next to it', async () => {
    for (const r of rules) expect(r.yaml).toBe(await readFile(new URL(r.file, BUNDLED_RULES_DIR), 'utf8'))
    expect(await readFile(new URL('LICENSE', BUNDLED_RULES_DIR), 'utf8')).toContain('Apache License')
  })
})

describe.each(rules.map((r) => [r.file, r] as const))('%s', (_file, r) => {
  it('parses as one production TTP/Anomaly detection and compiles against builtins + bundled macros', () => {
    const parsed = parseRuleDocuments(r.yaml, { file: r.file })
    expect(parsed.errors.filter((e) => e.severity === 'error')).toEqual([])
    expect(parsed.rules).toHaveLength(1)
    const rule = parsed.rules[0]!
    expect(rule.status).toBe('production')
    expect(['TTP', 'Anomaly']).toContain(rule.type)
    expect(rule.filterMacroName).toBe(`${stem(r.file)}_filter`)
    const check = checkRule(rule, macros)
    expect(check.ok ? 'ok' : check.message).toBe('ok')
  })

  it('detects its true-positive fixture and nothing in its true-negative fixture', async () => {
    const result = await runRuleFixtures(r.yaml, macros, r.fixtures)
    expect(result.truePositive.passed, `true-positive detections: ${result.truePositive.detections}`).toBe(true)
    expect(result.trueNegative.passed, `true-negative detections: ${result.trueNegative.detections}`).toBe(true)
    expect(result.trueNegative.detections).toBe(0)
  })

  it('detects every true-positive event on its own, and keeps fixtures to 1–3 positives and 2–4 near misses', async () => {
    const tp = linesOf(r.fixtures.truePositive)
    const tn = linesOf(r.fixtures.trueNegative)
    expect(tp.length).toBeGreaterThanOrEqual(1)
    expect(tp.length).toBeLessThanOrEqual(3)
    expect(tn.length).toBeGreaterThanOrEqual(2)
    expect(tn.length).toBeLessThanOrEqual(4)
    for (const [i, line] of tp.entries()) {
      const one = await runRuleFixtures(r.yaml, macros, { truePositive: Buffer.from(`${line}\n`), trueNegative: Buffer.alloc(0) })
      expect(one.truePositive.detections, `true-positive line ${i + 1}`).toBe(1)
    }
  })
})

describe('fixture logs', () => {
  it.each(fixtureFiles.map((f) => [f.label, f.bytes] as const))('%s: every line is one Sysmon EventID 1 process event', async (_label, bytes) => {
    const lines = linesOf(bytes)
    expect(bytes.toString('utf8').endsWith('\n')).toBe(true)
    for (const line of lines) expect(line).toMatch(/^<Event xmlns='http:\/\/schemas\.microsoft\.com\/win\/2004\/08\/events\/event'><System>.*<EventID>1<\/EventID>.*<\/Event>$/)
    const items = await readItems(bytes)
    expect(items.filter((i) => i.kind !== 'event')).toEqual([])
    expect(items).toHaveLength(lines.length)
    for (const item of items) if (item.kind === 'event') expect(item.source).toBe('sysmon')
  })

  it('has a fixture folder for every bundled rule and no other', async () => {
    const dirs = (await readdir(BUNDLED_FIXTURES_DIR, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name).sort()
    expect(dirs).toEqual(rules.map((r) => stem(r.file)).sort())
  })

  it('README documents every fixture folder and says the events are synthetic', async () => {
    const readme = await readFile(new URL('README.md', BUNDLED_FIXTURES_DIR), 'utf8')
    expect(readme).toMatch(/SYNTHETIC/)
    const sections = [...readme.matchAll(/^## (\S+)$/gm)].map((m) => m[1]).sort()
    expect(sections).toEqual(rules.map((r) => stem(r.file)).sort())
  })
})

describe('bundled macros', () => {
  it('are each one macro definition without import errors', () => {
    expect(macroFiles.length).toBeGreaterThan(0)
    for (const m of macroFiles) {
      const parsed = parseRuleDocuments(m.yaml, { file: m.file })
      expect(parsed.errors.filter((e) => e.severity === 'error')).toEqual([])
      expect(parsed.rules).toEqual([])
      expect(parsed.macros.map((d) => d.name)).toEqual([stem(m.file)])
    }
  })

  it.each(macroFiles.map((m) => [m.file] as const))('%s is used by at least one bundled rule', (file) => {
    const name = stem(file)
    const users = rules.filter((r) => r.yaml.includes(`\`${name}\``) || r.yaml.includes(`\`${name}(`))
    expect(users.map((r) => r.file)).not.toEqual([])
  })

  it('are needed: without them, every rule that calls one fails to compile', () => {
    const builtinsOnly = createMacroSet()
    const names = bundledMacros.map((d) => d.name)
    for (const r of rules) {
      const rule = parseRuleDocuments(r.yaml).rules[0]!
      const usesBundled = names.some((n) => r.yaml.includes(`\`${n}\``))
      expect(checkRule(rule, builtinsOnly).ok, r.file).toBe(!usesBundled)
    }
  })

  it('live in the macros folder next to the rules', async () => {
    expect((await stat(BUNDLED_MACROS_DIR)).isDirectory()).toBe(true)
  })
})

describe('README', () => {
  const readmeUrl = new URL('../README.md', BUNDLED_RULES_DIR)

  it('lists exactly the bundled rule files and macro files in its tables', async () => {
    const readme = await readFile(readmeUrl, 'utf8')
    const rows = [...readme.matchAll(/^\| `escu\/([^`]+)` \|/gm)].map((m) => m[1]!)
    const ruleRows = rows.filter((f) => !f.startsWith('macros/'))
    const macroRows = rows.filter((f) => f.startsWith('macros/')).map((f) => f.slice('macros/'.length))
    expect(ruleRows.slice().sort()).toEqual(rules.map((r) => r.file).sort())
    expect(new Set(ruleRows).size).toBe(ruleRows.length)
    expect(macroRows.slice().sort()).toEqual(macroFiles.map((m) => m.file).sort())
  })

  it('gives each rule row its name, id and version, and names the upstream commit and licence', async () => {
    const readme = await readFile(readmeUrl, 'utf8')
    for (const r of rules) {
      const row = readme.split('\n').find((l) => l.startsWith(`| \`escu/${r.file}\` |`))!
      const rule = parseRuleDocuments(r.yaml).rules[0]!
      expect(row).toContain(`| ${rule.name} (`)
      expect(row).toContain(`| ${rule.id} |`)
      expect(row).toContain(`| ${rule.version} (`)
      for (const t of rule.tags.mitreAttackIds) expect(row).toContain(t)
    }
    expect(readme).toContain('125d60c1e8369d85f06bfa3844117ad2afa4942e')
    expect(readme).toContain('Apache License 2.0')
    expect(readme).toContain('escu/LICENSE')
  })
})

describe('runRuleFixtures', () => {
  const ngrok = rules.find((r) => r.file === 'windows_ngrok_reverse_proxy_usage.yml')!

  it('fails the true-negative check when the negative log holds a detection', async () => {
    const swapped = await runRuleFixtures(ngrok.yaml, macros, { truePositive: ngrok.fixtures.trueNegative, trueNegative: ngrok.fixtures.truePositive })
    expect(swapped).toEqual({ truePositive: { passed: false, detections: 0 }, trueNegative: { passed: false, detections: 3 } })
  })

  it('rejects YAML that is not exactly one valid detection', async () => {
    const empty = { truePositive: Buffer.alloc(0), trueNegative: Buffer.alloc(0) }
    await expect(runRuleFixtures(`${ngrok.yaml}\n---\n${rules[0]!.yaml}`, macros, empty)).rejects.toThrow(/exactly one detection/)
    await expect(runRuleFixtures('name: [unclosed', macros, empty)).rejects.toThrow(/errors/)
    const broken = ngrok.yaml.replace('| `windows_ngrok_reverse_proxy_usage_filter`', '| `windows_ngrok_reverse_proxy_usage_filter`\n    | table dest')
    await expect(runRuleFixtures(broken, macros, empty)).rejects.toThrow(/table/)
  })
})
