import { Readable } from 'node:stream'
import { compileRule, type RuleDefinition } from '../detection/index.js'
import { InvalidInputError, NotFoundError } from '../errors.js'
import type { PrismaClient } from '../db/prisma.js'
import { scanLogs } from '../scan/offline-scan.js'
import { findRule, loadMacroSet } from '../store/rules.js'

/**
 * Rule fixtures: log snippets a rule must detect (TRUE_POSITIVE) or must not (TRUE_NEGATIVE),
 * run with the same reader and engine as uploads. `testRule` is evidence that a rule still fires
 * after its macros or its YAML change.
 */

export type FixtureKind = 'TRUE_POSITIVE' | 'TRUE_NEGATIVE'

export interface FixtureInput {
  name: string
  kind: FixtureKind
  log: string
}

export interface FixtureResult {
  name: string
  kind: FixtureKind
  passed: boolean
  detections: number
  processEvents: number
  errors: { line: number; offset: number; message: string }[]
}

export interface RuleTestResult {
  ruleId: string
  passed: boolean
  fixtures: FixtureResult[]
}

const MAX_FIXTURE_BYTES = 1024 * 1024

export async function setRuleFixtures(prisma: PrismaClient, tenantId: string, ruleId: string, fixtures: FixtureInput[]) {
  const rule = await findRule(prisma, tenantId, ruleId)
  if (!rule) throw new NotFoundError('Rule', ruleId)
  const names = new Set<string>()
  fixtures.forEach((f, i) => {
    if (!f.name.trim()) throw new InvalidInputError(`fixtures[${i}].name must not be empty`, { field: `fixtures[${i}].name` })
    if (names.has(f.name)) throw new InvalidInputError(`fixtures[${i}].name "${f.name}" is used twice`, { field: `fixtures[${i}].name` })
    if (Buffer.byteLength(f.log) > MAX_FIXTURE_BYTES) throw new InvalidInputError(`fixtures[${i}].log is larger than 1 MiB`, { field: `fixtures[${i}].log` })
    names.add(f.name)
  })
  await prisma.$transaction([
    prisma.ruleFixture.deleteMany({ where: { ruleId: rule.id } }),
    prisma.ruleFixture.createMany({ data: fixtures.map((f) => ({ ruleId: rule.id, tenantId, name: f.name, kind: f.kind, log: f.log })) }),
  ])
  return rule
}

export async function testRule(prisma: PrismaClient, tenantId: string, ruleId: string): Promise<RuleTestResult> {
  const rule = await findRule(prisma, tenantId, ruleId)
  if (!rule) throw new NotFoundError('Rule', ruleId)
  const compiled = compileRule(rule.definition as unknown as RuleDefinition, await loadMacroSet(prisma, tenantId))
  const fixtures = await prisma.ruleFixture.findMany({ where: { ruleId: rule.id }, orderBy: { name: 'asc' } })
  const results: FixtureResult[] = []
  for (const f of fixtures) {
    const scan = await scanLogs([compiled], [{ name: f.name, read: () => Readable.from([Buffer.from(f.log)]) }])
    const detections = scan.detections.length
    results.push({
      name: f.name,
      kind: f.kind,
      passed: f.kind === 'TRUE_POSITIVE' ? detections > 0 : detections === 0,
      detections,
      processEvents: scan.stats.processEvents,
      errors: scan.stats.errors.map((e) => ({ line: e.line, offset: e.offset, message: e.message })),
    })
  }
  return { ruleId: rule.id, passed: results.length > 0 && results.every((r) => r.passed), fixtures: results }
}
