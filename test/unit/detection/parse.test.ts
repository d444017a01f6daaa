import { describe, expect, it } from 'vitest'
import {
  RuleSyntaxError,
  checkRule,
  compileRule,
  createMacroSet,
  parseSearch,
  type MacroDefinition,
  type WhereNode,
} from '../../../src/detection/index.js'
import { TSTATS, ruleWith } from './helpers.js'

const macros = createMacroSet()
const whereOf = (where: string, set = macros): WhereNode | null => parseSearch(`${TSTATS} where ${where} by Processes.dest`, set).where
const eq = (field: string, value: string): WhereNode => ({ kind: 'compare', field, op: 'eq', value })

function syntaxError(search: string, set = macros): RuleSyntaxError {
  try {
    parseSearch(search, set)
  } catch (e) {
    if (e instanceof RuleSyntaxError) return e
    throw e
  }
  throw new Error('expected a RuleSyntaxError')
}

describe('tstats parser: command, options, aggregations, FROM, BY', () => {
  it('expands security_content_summariesonly into the three tstats options', () => {
    const q = parseSearch(`${TSTATS} by Processes.dest`, macros)
    expect(q.options).toEqual({ summariesonly: 'false', allow_old_summaries: 'true', fillnull_value: 'null' })
    expect(q.datamodel).toBe('Endpoint.Processes')
  })

  it('reads every aggregation form, with AS in either case and default names otherwise', () => {
    const q = parseSearch(
      '| tstats count count(Processes.user) min(_time) AS first max(_time) as last values(Processes.process) dc(Processes.user) as users FROM datamodel=Endpoint.Processes BY Processes.dest',
      macros,
    )
    expect(q.aggregations).toEqual([
      { kind: 'count', field: null, outputName: 'count' },
      { kind: 'count', field: 'Processes.user', outputName: 'count(Processes.user)' },
      { kind: 'min', field: '_time', outputName: 'first' },
      { kind: 'max', field: '_time', outputName: 'last' },
      { kind: 'values', field: 'Processes.process', outputName: 'values(Processes.process)' },
      { kind: 'dc', field: 'Processes.user', outputName: 'users' },
    ])
  })

  it('accepts upper- and lower-case FROM/WHERE/BY and a BY list of any length, commas allowed', () => {
    const q = parseSearch('| tstats count FROM datamodel=Endpoint.Processes WHERE Processes.user=a BY Processes.dest, Processes.user Processes.process', macros)
    expect(q.by).toEqual(['Processes.dest', 'Processes.user', 'Processes.process'])
    expect(parseSearch('| tstats count from datamodel=Endpoint.Processes where Processes.user=a by Processes.dest', macros).by).toEqual(['Processes.dest'])
  })

  it('rejects other data models, naming them', () => {
    expect(syntaxError('| tstats count from datamodel=Network_Traffic.All_Traffic by All_Traffic.dest').reason).toContain('`Network_Traffic.All_Traffic`')
  })

  it('rejects span= in BY, unknown tstats options and unsupported aggregations', () => {
    expect(syntaxError(`${TSTATS} by Processes.dest span=1h`).reason).toContain('span=')
    expect(syntaxError('| tstats prestats=true count from datamodel=Endpoint.Processes').reason).toContain('`prestats`')
    expect(syntaxError('| tstats sum(Processes.process_id) from datamodel=Endpoint.Processes').reason).toContain('unsupported aggregation')
    expect(syntaxError('| tstats min(Processes.user) from datamodel=Endpoint.Processes').reason).toContain('only min(_time)')
  })

  it('requires the search to start with | tstats', () => {
    expect(syntaxError('search index=main').reason).toContain('must start with `| tstats`')
    expect(syntaxError('| datamodel Endpoint Processes search').reason).toContain('only `| tstats`')
  })
})

describe('WHERE predicates', () => {
  it('parses =, !=, IN, NOT, quoted and unquoted values', () => {
    expect(whereOf('Processes.process_name=ngrok.exe')).toEqual(eq('Processes.process_name', 'ngrok.exe'))
    expect(whereOf('Processes.user!="svc account"')).toEqual({ kind: 'compare', field: 'Processes.user', op: 'ne', value: 'svc account' })
    expect(whereOf('Processes.process IN ("*start*", tcp)')).toEqual({ kind: 'in', field: 'Processes.process', values: ['*start*', 'tcp'] })
    expect(whereOf('NOT(Processes.process_path IN("*:\\\\windows\\\\*"))')).toEqual({
      kind: 'not',
      operand: { kind: 'in', field: 'Processes.process_path', values: ['*:\\windows\\*'] },
    })
  })

  // Splunk search manual, "Expressions and predicates": the search command evaluates OR before
  // AND, and juxtaposition is an implicit AND — so `a b OR c` means `a AND (b OR c)`.
  it('binds OR tighter than AND: a b OR c = a AND (b OR c)', () => {
    expect(whereOf('Processes.user=a Processes.dest=b OR Processes.dest=c')).toEqual({
      kind: 'and',
      operands: [eq('Processes.user', 'a'), { kind: 'or', operands: [eq('Processes.dest', 'b'), eq('Processes.dest', 'c')] }],
    })
    expect(whereOf('Processes.user=a AND Processes.dest=b OR Processes.dest=c')).toEqual(whereOf('Processes.user=a Processes.dest=b OR Processes.dest=c'))
  })

  // Same manual: NOT applies only to the term that follows it, so `NOT a b` is `(NOT a) AND b`.
  it('applies NOT to the next term only: NOT a b = (NOT a) AND b', () => {
    expect(whereOf('NOT Processes.user=a Processes.dest=b')).toEqual({
      kind: 'and',
      operands: [{ kind: 'not', operand: eq('Processes.user', 'a') }, eq('Processes.dest', 'b')],
    })
  })

  it('groups with parentheses', () => {
    expect(whereOf('(Processes.user=a Processes.dest=b) OR Processes.dest=c')).toEqual({
      kind: 'or',
      operands: [{ kind: 'and', operands: [eq('Processes.user', 'a'), eq('Processes.dest', 'b')] }, eq('Processes.dest', 'c')],
    })
  })

  it('treats lower-case and/or/not as ordinary words, not keywords', () => {
    expect(syntaxError(`${TSTATS} where Processes.user=a or Processes.user=b by Processes.dest`).reason).toContain('free-text term `or`')
  })

  it('accepts a quoted field name before = (as ESCU writes it)', () => {
    expect(whereOf('"Processes.process"="*stop \\"samss\\"*"')).toEqual(eq('Processes.process', '*stop "samss"*'))
  })

  it('rejects numeric comparisons', () => {
    expect(syntaxError(`${TSTATS} where Processes.process_id>4 by Processes.dest`).reason).toContain('`>`')
  })
})

describe('macros inside the search', () => {
  const process: MacroDefinition = { name: 'process_ngrok', args: [], definition: '(Processes.process_name=ngrok.exe OR Processes.original_file_name=ngrok.exe)' }
  const named: MacroDefinition = { name: 'process_named', args: ['n'], definition: 'Processes.process_name=$n$' }

  it('expands macros and argument macros in WHERE', () => {
    const set = createMacroSet([process, named])
    expect(whereOf('`process_ngrok` `process_named(cmd.exe)`', set)).toEqual({
      kind: 'and',
      operands: [
        { kind: 'or', operands: [eq('Processes.process_name', 'ngrok.exe'), eq('Processes.original_file_name', 'ngrok.exe')] },
        eq('Processes.process_name', 'cmd.exe'),
      ],
    })
  })

  it('names an unknown macro, at the position of its call', () => {
    const e = syntaxError(`${TSTATS} where \`process_nope\` by Processes.dest`)
    expect(e.reason).toBe('unknown macro `process_nope`')
    expect(e.column).toBe(TSTATS.length + 8)
  })

  it('reports wrong arity and recursive macros', () => {
    expect(syntaxError(`${TSTATS} where \`process_named\` by Processes.dest`, createMacroSet([named])).reason).toContain('takes 1 argument')
    const loop = createMacroSet([{ name: 'a', args: [], definition: '`b`' }, { name: 'b', args: [], definition: '`a`' }])
    expect(syntaxError(`${TSTATS} where \`a\` by Processes.dest`, loop).reason).toMatch(/deeper than \d+ levels: a → b → a/)
  })
})

describe('pipeline stages', () => {
  it('parses drop_dm_object_name, ctime and the filter macro (default search *)', () => {
    const q = parseSearch(
      `${TSTATS} by Processes.dest | \`drop_dm_object_name("Processes")\` | \`security_content_ctime(firstTime)\` | \`x_filter\``,
      macros,
    )
    expect(q.stages).toEqual([
      { kind: 'drop_dm_object_name', object: 'Processes' },
      { kind: 'ctime', field: 'firstTime' },
      { kind: 'filter', macro: 'x_filter', predicate: { kind: 'all' } },
    ])
  })

  it('rejects | join with the position of the command', () => {
    const search = `${TSTATS} by Processes.dest\n| join type=outer dest [search index=x]`
    const e = syntaxError(search)
    expect(e.reason).toContain('unsupported pipeline command `join`')
    expect([e.line, e.column]).toEqual([2, 3])
  })

  it('rejects where, eval and unknown pipeline macros instead of ignoring them', () => {
    expect(syntaxError(`${TSTATS} by Processes.dest | where count > 5`).reason).toContain('`where`')
    expect(syntaxError(`${TSTATS} by Processes.dest | eval x=1`).reason).toContain('`eval`')
    expect(syntaxError(`${TSTATS} by Processes.dest | \`is_windows_system_file_macro\``).reason).toContain('unsupported pipeline macro')
  })

  it('parses a tenant filter override as a search predicate', () => {
    const set = createMacroSet([{ name: 'x_filter', args: [], definition: 'search user!=svc_tunnel' }])
    expect(parseSearch(`${TSTATS} by Processes.user | \`x_filter\``, set).stages).toEqual([
      { kind: 'filter', macro: 'x_filter', predicate: { kind: 'compare', field: 'user', op: 'ne', value: 'svc_tunnel' } },
    ])
    const bad = createMacroSet([{ name: 'x_filter', args: [], definition: 'where count > 3' }])
    expect(syntaxError(`${TSTATS} by Processes.user | \`x_filter\``, bad).reason).toContain('must expand to `search <predicate>`')
  })
})

describe('error positions', () => {
  it('gives the 1-based line and column inside a multi-line search, with the rule origin', () => {
    const search = [
      '| tstats `security_content_summariesonly` count FROM datamodel=Endpoint.Processes',
      '  WHERE Processes.process_name=ngrok.exe',
      '    AND Processes.process IN "*start*"',
      '  BY Processes.dest',
    ].join('\n')
    const check = checkRule(ruleWith(search, { file: 'rules/x.yml', document: 2, name: 'Pos Rule' }), macros)
    expect(check.ok).toBe(false)
    if (check.ok) return
    expect([check.line, check.column]).toEqual([3, 30])
    expect(check.message).toContain('rules/x.yml#2')
    expect(check.message).toContain('rule "Pos Rule"')
    expect(check.message).toContain('line 3, column 30')
  })

  it('points at the exact column of an unsupported token on a later line', () => {
    const search = '| tstats count FROM datamodel=Endpoint.Processes\n  WHERE Processes.process_id>=4\n  BY Processes.dest'
    let error: unknown
    try {
      compileRule(ruleWith(search), macros)
    } catch (e) {
      error = e
    }
    expect(error).toBeInstanceOf(RuleSyntaxError)
    expect(error).toMatchObject({ line: 2, column: 29 })
  })
})
