import { randomUUID } from 'node:crypto'
import { existsSync, readFileSync, readdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { compileRule, createMacroSet, parseRuleDocuments, type MacroDefinition, type RuleDefinition } from '../../src/detection/index.js'
import { runGroupedQuery } from '../../src/sql-backend/index.js'
import { createTestDatabase } from '../helpers/test-database.js'

/**
 * Every detection of the ESCU corpus (300 Endpoint.Processes detections with their 40 macros, in
 * the shared data folder next to the repository) compiles to SQL that Postgres accepts and runs.
 * Skipped, and reported as skipped, when the shared folder is absent.
 */

const CORPUS = new URL('../../../shared/datasets/escu-endpoint-processes/', import.meta.url)
const present = existsSync(fileURLToPath(CORPUS))

function yamlFiles(dir: URL): URL[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? yamlFiles(new URL(`${e.name}/`, dir)) : e.name.endsWith('.yml') ? [new URL(e.name, dir)] : [],
  )
}

describe.skipIf(!present)('SQL backend on the ESCU corpus', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>
  let client: pg.Client
  const macros: MacroDefinition[] = []
  const rules: RuleDefinition[] = []

  beforeAll(async () => {
    for (const url of yamlFiles(new URL('macros/', CORPUS))) macros.push(...parseRuleDocuments(readFileSync(url, 'utf8')).macros)
    for (const url of yamlFiles(new URL('detections/', CORPUS))) rules.push(...parseRuleDocuments(readFileSync(url, 'utf8')).rules)
    db = await createTestDatabase()
    client = new pg.Client({ connectionString: db.url })
    await client.connect()
  })
  afterAll(async () => {
    await client?.end()
    await db?.drop()
  })

  it('runs all 300 detections on an empty table without a database error', async () => {
    expect(macros).toHaveLength(40)
    expect(rules).toHaveLength(300)
    const set = createMacroSet(macros)
    const tenantId = randomUUID()
    const failures: string[] = []
    for (const rule of rules) {
      try {
        const rows = await runGroupedQuery(client, compileRule(rule, set), { tenantId, uploadId: randomUUID(), from: new Date(0), to: new Date() })
        if (rows.length !== 0) failures.push(`${rule.name}: ${rows.length} rows from an empty table`)
      } catch (e) {
        failures.push(`${rule.name}: ${e instanceof Error ? e.message : String(e)}`)
      }
    }
    expect(failures).toEqual([])
  })
})
