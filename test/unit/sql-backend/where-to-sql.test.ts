import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { CIM_PROCESS_FIELDS, createMacroSet, parseSearch, type WhereNode } from '../../../src/detection/index.js'
import { SqlParams, compileWhereToSql, likePatternOf } from '../../../src/sql-backend/index.js'
import { VALUE_POOL, whereArb, whereToSpl } from './support/random-rules.js'

/**
 * The WHERE translation as text: which SQL each construct becomes, that values only ever travel
 * as bind parameters, and how NOT and null fields are written. Whether the SQL means the same as
 * the in-memory matcher is checked against Postgres in test/integration/sql-backend*.test.ts.
 */

const whereOf = (spl: string): WhereNode => parseSearch(`| tstats count from datamodel=Endpoint.Processes where ${spl}`, createMacroSet()).where!

function sql(spl: string): { text: string; values: unknown[] } {
  const params = new SqlParams()
  const text = compileWhereToSql(whereOf(spl), params)
  return { text, values: params.values }
}

describe('compileWhereToSql', () => {
  it('compares exact values as lower(col) = $n with the value folded by toLowerCase', () => {
    expect(sql('Processes.process_name=NGROK.EXE')).toEqual({ text: '"process_name_lower" = $1', values: ['ngrok.exe'] })
    expect(sql('Processes.process_name="ÉCOLE.EXE"').values).toEqual(['école.exe'])
  })

  it('folds the parameter exactly as the matcher does, including full mappings such as İ → i̇', () => {
    expect(sql('Processes.user="İSTANBUL"').values).toEqual(['i\u0307stanbul'])
    expect(sql('Processes.user="ΟΔΟΣ"').values).toEqual(['οδος'])
  })

  it('turns wildcards into an anchored LIKE with an explicit escape, collapsing runs of *', () => {
    expect(sql('Processes.process="*http*"')).toEqual({ text: `lower("process") LIKE $1 ESCAPE '\\'`, values: ['%http%'] })
    expect(sql('Processes.process=NGROK*')).toEqual({ text: `lower("process") LIKE $1 ESCAPE '\\'`, values: ['ngrok%'] })
    expect(sql('Processes.process="*.EXE"').values).toEqual(['%.exe'])
    expect(sql('Processes.process="a***b*c"').values).toEqual(['a%b%c'])
  })

  it('escapes %, _ and the escape character \\ so they match only themselves', () => {
    expect(sql('Processes.process="*50%_off*"').values).toEqual(['%50\\%\\_off%'])
    // SPL `\\\\` is one backslash in the value; in LIKE it must be doubled.
    expect(sql('Processes.process="*\\\\C$\\\\*"').values).toEqual(['%\\\\c$\\\\%'])
    expect(likePatternOf('a\\%_*')).toBe('a\\\\\\%\\_%')
    // Without a wildcard nothing is escaped: equality treats % and _ literally anyway.
    expect(sql('Processes.process="50%_off\\\\"')).toEqual({ text: 'lower("process") = $1', values: ['50%_off\\'] })
  })

  it('keeps quotes and injection attempts inside parameters', () => {
    const attack = `x'; DROP TABLE process_events; --`
    const out = sql(`Processes.process_name="${attack}" OR Processes.user="*${attack}*" OR Processes.dest IN ("a\\"b", "O'Brien")`)
    expect(out.text).toBe(`("process_name_lower" = $1 OR lower("user") LIKE $2 ESCAPE '\\' OR lower("dest") = ANY($3::text[]))`)
    // `_` in process_events is a LIKE metacharacter, hence escaped inside the pattern.
    expect(out.values).toEqual([attack.toLowerCase(), `%x'; drop table process\\_events; --%`, ['a"b', "o'brien"]])
    expect(out.text).not.toContain('DROP')
  })

  it('writes f!=v as <> / NOT LIKE, which are NULL (not true) on a null field', () => {
    expect(sql('Processes.process_guid!="{AAAA}"')).toEqual({ text: 'lower("process_guid") <> $1', values: ['{aaaa}'] })
    expect(sql('Processes.process_guid!=*aa*')).toEqual({ text: `lower("process_guid") NOT LIKE $1 ESCAPE '\\'`, values: ['%aa%'] })
  })

  it('writes f=* as IS NOT NULL and f!=* as FALSE, binding nothing', () => {
    expect(sql('Processes.process_guid=*')).toEqual({ text: '"process_guid" IS NOT NULL', values: [] })
    expect(sql('Processes.process_guid=***')).toEqual({ text: '"process_guid" IS NOT NULL', values: [] })
    expect(sql('Processes.process_guid!=*')).toEqual({ text: 'FALSE', values: [] })
  })

  it('writes NOT as IS NOT TRUE, so that NOT f=v holds on a null field', () => {
    expect(sql('NOT Processes.process_guid="{AAAA}"')).toEqual({ text: '((lower("process_guid") = $1) IS NOT TRUE)', values: ['{aaaa}'] })
    expect(sql('NOT NOT Processes.process_guid=x').text).toBe('((((lower("process_guid") = $1) IS NOT TRUE)) IS NOT TRUE)')
  })

  it('treats fields outside the 20 CIM columns (or misspelt) as always null', () => {
    expect(sql('Processes.os="Microsoft Windows"')).toEqual({ text: 'FALSE', values: [] })
    expect(sql('Processes.dest_category!=web_server')).toEqual({ text: 'FALSE', values: [] })
    expect(sql('processes.process_name=cmd.exe')).toEqual({ text: 'FALSE', values: [] })
    expect(sql('NOT Processes.os=x')).toEqual({ text: '((FALSE) IS NOT TRUE)', values: [] })
    expect(sql('Processes.os IN (a, b)')).toEqual({ text: 'FALSE', values: [] })
  })

  it('quotes every column, including the reserved word user, and compares process_name through its stored lower-case copy', () => {
    for (const f of CIM_PROCESS_FIELDS) expect(sql(`Processes.${f}=x`).text).toBe(f === 'process_name' ? '"process_name_lower" = $1' : `lower("${f}") = $1`)
  })

  it('writes IN as one = ANY(array) for exact values plus a LIKE per wildcard, ignoring duplicates', () => {
    expect(sql('Processes.process IN ("*start*", "*--config*", "*http*", "*http*")')).toEqual({
      text: `(lower("process") LIKE $1 ESCAPE '\\' OR lower("process") LIKE $2 ESCAPE '\\' OR lower("process") LIKE $3 ESCAPE '\\')`,
      values: ['%start%', '%--config%', '%http%'],
    })
    expect(sql('Processes.process_name IN (CMD.EXE, cmd.exe, "pwsh*")')).toEqual({
      text: `("process_name_lower" = $1 OR "process_name_lower" LIKE $2 ESCAPE '\\')`,
      values: ['cmd.exe', 'pwsh%'],
    })
    expect(sql('Processes.process_name IN (a, b, c)')).toEqual({ text: '"process_name_lower" = ANY($1::text[])', values: [['a', 'b', 'c']] })
    expect(sql('Processes.process_name IN (a, "*")')).toEqual({ text: '"process_name" IS NOT NULL', values: [] })
  })

  it('follows the parsed precedence: a b OR c is a AND (b OR c)', () => {
    expect(sql('Processes.process_name=cmd.exe Processes.process=*whoami* OR Processes.process=*net*').text).toBe(
      `("process_name_lower" = $1 AND (lower("process") LIKE $2 ESCAPE '\\' OR lower("process") LIKE $3 ESCAPE '\\'))`,
    )
  })

  it('matches nothing for values with NUL, which stored text cannot contain (and Postgres cannot bind)', () => {
    const params = new SqlParams()
    const nul: WhereNode = { kind: 'compare', field: 'Processes.process', op: 'eq', value: 'a\u0000*' }
    expect(compileWhereToSql(nul, params)).toBe('FALSE')
    expect(compileWhereToSql({ ...nul, op: 'ne' }, params)).toBe('"process" IS NOT NULL')
    expect(compileWhereToSql({ kind: 'in', field: 'Processes.process', values: ['a\u0000', 'b'] }, params)).toBe('lower("process") = $1')
    expect(params.values).toEqual(['b'])
  })

  it('maps the empty AND and OR to their identities, and * to TRUE', () => {
    const params = new SqlParams()
    expect(compileWhereToSql({ kind: 'and', operands: [] }, params)).toBe('TRUE')
    expect(compileWhereToSql({ kind: 'or', operands: [] }, params)).toBe('FALSE')
    expect(sql('*').text).toBe('TRUE')
  })

  it('continues the numbering of parameters already bound', () => {
    const params = new SqlParams()
    params.add('tenant')
    expect(compileWhereToSql(whereOf('Processes.dest=h1'), params)).toBe('lower("dest") = $2')
    expect(params.values).toEqual(['tenant', 'h1'])
  })

  it('emits only whitelisted SQL tokens and numbered placeholders, for any WHERE tree', () => {
    const token = /\s+|\(|\)|\$\d+|::text\[\]|"[a-z_]+"|lower|=|<>|ANY|NOT|LIKE|ESCAPE|'\\'|IS|TRUE|FALSE|NULL|AND|OR/y
    // The CIM columns, and process_name's stored lower-case copy.
    const columns = new Set([...CIM_PROCESS_FIELDS.map((f) => `"${f}"`), '"process_name_lower"'])
    fc.assert(
      fc.property(whereArb(VALUE_POOL), (where) => {
        // The generator's SPL round-trips to the same tree, so the integration property test
        // really exercises the trees generated here.
        expect(whereOf(whereToSpl(where))).toEqual(where)
        const params = new SqlParams()
        const text = compileWhereToSql(where, params)
        const placeholders: number[] = []
        token.lastIndex = 0
        while (token.lastIndex < text.length) {
          const m = token.exec(text)
          if (m === null) throw new Error(`unexpected SQL at ${token.lastIndex}: ${text.slice(token.lastIndex, token.lastIndex + 30)}`)
          if (m[0].startsWith('"')) expect(columns.has(m[0])).toBe(true)
          if (m[0].startsWith('$')) placeholders.push(Number(m[0].slice(1)))
        }
        expect(placeholders).toEqual(params.values.map((_, i) => i + 1))
        for (const v of params.values.flat()) expect(v as string).not.toContain('\u0000')
      }),
      { numRuns: 300 },
    )
  })
})
