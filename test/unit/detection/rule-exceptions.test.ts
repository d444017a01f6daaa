import { describe, expect, it } from 'vitest'
import {
  CIM_PROCESS_FIELDS,
  DetectionAggregator,
  EXCEPTION_LIMITS,
  ExceptionEntryError,
  applyExceptions,
  checkExceptionEntries,
  explainMatch,
  formatWhere,
  type ExceptionEntryInput,
  type RuleException,
} from '../../../src/detection/index.js'
import { RuleIndex } from '../../../src/detection/prefilter/rule-index.js'
import { compileWhere, processEvent } from './helpers.js'

/**
 * Rule exceptions in the engine: the check of entries as clients send them, and applyExceptions —
 * which events an exception leaves out (literal IS / IS_ONE_OF / CONTAINS, wildcard MATCHES, all
 * entries at once, a missing field), when it applies (expiry against the `now` passed in), and
 * that the result is an ordinary compiled rule the aggregator and its prefilter run unchanged.
 */

const NOW = new Date('2026-03-16T12:00:00Z')
const rule = compileWhere('Processes.process_name=*')

const exception = (entries: ExceptionEntryInput[], expiresAt: Date | null = null, id = 'e1'): RuleException => ({ id, entries: checkExceptionEntries(entries), expiresAt })

const event = (process_name: string, extra: Record<string, string> = {}) => processEvent(0, { process_name, dest: 'host-1', ...extra })

const kept = (exceptions: RuleException[], e: ReturnType<typeof event>): boolean => applyExceptions(rule, exceptions, NOW).matches(e)

function entryError(entries: ExceptionEntryInput[]): ExceptionEntryError {
  try {
    checkExceptionEntries(entries)
  } catch (err) {
    if (err instanceof ExceptionEntryError) return err
    throw err
  }
  throw new Error('the entries were accepted')
}

describe('checkExceptionEntries', () => {
  it('accepts a field with or without the data-model prefix and stores the bare CIM name', () => {
    expect(checkExceptionEntries([{ field: 'Processes.process_name', operator: 'IS', value: 'ngrok.exe' }])).toEqual([{ field: 'process_name', operator: 'IS', values: ['ngrok.exe'] }])
    expect(checkExceptionEntries([{ field: 'user', operator: 'IS_ONE_OF', values: ['alice', 'bob'] }])).toEqual([{ field: 'user', operator: 'IS_ONE_OF', values: ['alice', 'bob'] }])
  })

  it('names an unknown field, where it is, and every field that would do', () => {
    const err = entryError([{ field: 'process_name', operator: 'IS', value: 'x' }, { field: 'proces_name', operator: 'IS', value: 'x' }])
    expect(err.path).toBe('entries[1].field')
    expect(err.message).toContain('unknown field "proces_name"')
    for (const f of CIM_PROCESS_FIELDS) expect(err.message).toContain(f)
    // Field names are case-sensitive, as in the rules.
    expect(entryError([{ field: 'Process_Name', operator: 'IS', value: 'x' }]).path).toBe('entries[0].field')
    expect(entryError([{ field: 'Processes.os', operator: 'IS', value: 'x' }]).message).toContain('"Processes.os"')
  })

  it('asks for one value or a list according to the operator', () => {
    expect(entryError([{ field: 'user', operator: 'IS', values: ['a'] }]).message).toBe('entries[0].values: IS takes one value: send `value` (IS_ONE_OF takes a list)')
    expect(entryError([{ field: 'user', operator: 'CONTAINS' }]).message).toBe('entries[0].value: CONTAINS needs a value')
    expect(entryError([{ field: 'user', operator: 'IS_ONE_OF', value: 'a' }]).message).toBe('entries[0].value: IS_ONE_OF takes a list: send `values`, not `value`')
    expect(entryError([{ field: 'user', operator: 'IS_ONE_OF', values: [] }]).path).toBe('entries[0].values')
    expect(entryError([{ field: 'user', operator: 'EQUALS', value: 'a' }]).message).toBe('entries[0].operator: unknown operator "EQUALS"; expected one of IS, IS_ONE_OF, MATCHES, CONTAINS')
  })

  it('enforces the sizes: entries, values per list, characters per value; no empty value, no NUL', () => {
    expect(entryError([]).message).toBe('entries: an exception needs at least one entry')
    const entry = { field: 'user', operator: 'IS', value: 'a' }
    expect(checkExceptionEntries(Array.from({ length: EXCEPTION_LIMITS.entries }, () => entry))).toHaveLength(EXCEPTION_LIMITS.entries)
    expect(entryError(Array.from({ length: EXCEPTION_LIMITS.entries + 1 }, () => entry)).message).toBe(`entries: at most ${EXCEPTION_LIMITS.entries} entries (got ${EXCEPTION_LIMITS.entries + 1})`)
    const many = Array.from({ length: EXCEPTION_LIMITS.values + 1 }, (_, i) => `v${i}`)
    expect(entryError([{ field: 'user', operator: 'IS_ONE_OF', values: many }]).message).toBe(`entries[0].values: at most ${EXCEPTION_LIMITS.values} values (got ${many.length})`)
    expect(checkExceptionEntries([{ field: 'user', operator: 'IS_ONE_OF', values: many.slice(1) }])[0]!.values).toHaveLength(EXCEPTION_LIMITS.values)
    // Characters are code points, as Postgres counts them: 4096 emoji are 8192 UTF-16 units.
    expect(checkExceptionEntries([{ field: 'process', operator: 'CONTAINS', value: '😀'.repeat(EXCEPTION_LIMITS.valueChars) }])).toHaveLength(1)
    expect(entryError([{ field: 'process', operator: 'CONTAINS', value: 'x'.repeat(EXCEPTION_LIMITS.valueChars + 1) }]).message).toBe(
      `entries[0].value: at most ${EXCEPTION_LIMITS.valueChars} characters (got ${EXCEPTION_LIMITS.valueChars + 1})`,
    )
    expect(entryError([{ field: 'user', operator: 'IS_ONE_OF', values: ['a', ''] }]).message).toBe('entries[0].values[1]: must not be empty')
    expect(entryError([{ field: 'user', operator: 'MATCHES', value: 'a\u0000' }]).message).toBe('entries[0].value: must not contain U+0000 (NUL)')
  })
})

describe('applyExceptions', () => {
  it('IS and IS_ONE_OF compare whole values, case-insensitively', () => {
    const is = [exception([{ field: 'process_name', operator: 'IS', value: 'NGROK.exe' }])]
    expect(kept(is, event('ngrok.exe'))).toBe(false)
    expect(kept(is, event('ngrok.exe.bak'))).toBe(true)
    const oneOf = [exception([{ field: 'process_name', operator: 'IS_ONE_OF', values: ['a.exe', 'B.EXE'] }])]
    expect([kept(oneOf, event('A.EXE')), kept(oneOf, event('b.exe')), kept(oneOf, event('c.exe'))]).toEqual([false, false, true])
  })

  it('takes every character of IS, IS_ONE_OF and CONTAINS values literally: * % _ \\ match only themselves', () => {
    const odd = 'a*%_\\b'
    for (const [operator, values] of [
      ['IS', { value: odd }],
      ['IS_ONE_OF', { values: [odd] }],
      ['CONTAINS', { value: odd }],
    ] as const) {
      const ex = [exception([{ field: 'process_name', operator, ...values }])]
      expect(kept(ex, event(odd)), operator).toBe(false)
      expect(kept(ex, event('A*%_\\B')), operator).toBe(false)
      for (const other of ['axyz%_\\b', 'a*%x\\b', 'a*%_b', 'a*%_\\\\b', 'ab']) expect(kept(ex, event(other)), `${operator} ${other}`).toBe(true)
    }
    const contains = [exception([{ field: 'process', operator: 'CONTAINS', value: '*%' }])]
    expect(kept(contains, event('x', { process: 'run *% now' }))).toBe(false)
    expect(kept(contains, event('x', { process: 'run x% now' }))).toBe(true)
  })

  it('MATCHES reads * as a Splunk wildcard and nothing else as a pattern', () => {
    const ex = [exception([{ field: 'process', operator: 'MATCHES', value: '*\\Temp\\*.exe' }])]
    expect(kept(ex, event('x', { process: 'C:\\Users\\a\\AppData\\Local\\TEMP\\run.EXE' }))).toBe(false)
    expect(kept(ex, event('x', { process: 'C:\\Temp.exe' }))).toBe(true)
    const underscore = [exception([{ field: 'user', operator: 'MATCHES', value: 'svc_*' }])]
    expect(kept(underscore, event('x', { user: 'SVC_backup' }))).toBe(false)
    expect(kept(underscore, event('x', { user: 'svcXbackup' }))).toBe(true)
  })

  it('leaves an event out only when every entry of an exception holds', () => {
    const both = [exception([{ field: 'process_name', operator: 'IS', value: 'ngrok.exe' }, { field: 'user', operator: 'IS', value: 'dave' }])]
    expect(kept(both, event('ngrok.exe', { user: 'DAVE' }))).toBe(false)
    expect(kept(both, event('ngrok.exe', { user: 'erin' }))).toBe(true)
    expect(kept(both, event('cmd.exe', { user: 'dave' }))).toBe(true)
    // Two exceptions: either leaves the event out.
    const either = [exception([{ field: 'user', operator: 'IS', value: 'dave' }]), exception([{ field: 'user', operator: 'IS', value: 'erin' }], null, 'e2')]
    expect([kept(either, event('x', { user: 'dave' })), kept(either, event('x', { user: 'erin' })), kept(either, event('x', { user: 'frank' }))]).toEqual([false, false, true])
  })

  it('keeps an event that lacks the field, whatever the operator', () => {
    const noGuid = event('ngrok.exe')
    expect(noGuid.process_guid).toBeNull()
    for (const entry of [
      { field: 'process_guid', operator: 'IS', value: '{A}' },
      { field: 'process_guid', operator: 'IS_ONE_OF', values: ['{A}'] },
      { field: 'process_guid', operator: 'MATCHES', value: '*' },
      { field: 'process_guid', operator: 'CONTAINS', value: 'A' },
    ]) {
      expect(kept([exception([entry])], noGuid), entry.operator).toBe(true)
    }
  })

  it('applies an exception until it expires: expiresAt <= now no longer applies', () => {
    const entries = [{ field: 'process_name', operator: 'IS', value: 'ngrok.exe' }]
    expect(kept([exception(entries, new Date(NOW.getTime() + 1))], event('ngrok.exe'))).toBe(false)
    expect(kept([exception(entries, NOW)], event('ngrok.exe'))).toBe(true)
    expect(kept([exception(entries, new Date('2020-01-01T00:00:00Z'))], event('ngrok.exe'))).toBe(true)
  })

  it('returns the rule itself without active exceptions, and ignores an exception without entries', () => {
    expect(applyExceptions(rule, [], NOW)).toBe(rule)
    expect(applyExceptions(rule, [exception([{ field: 'user', operator: 'IS', value: 'a' }], NOW)], NOW)).toBe(rule)
    expect(applyExceptions(rule, [{ id: 'empty', entries: [], expiresAt: null }], NOW)).toBe(rule)
  })

  it('conjoins NOT (entries) to the WHERE tree, so formatWhere and explainMatch show it', () => {
    const applied = applyExceptions(
      rule,
      [exception([{ field: 'Processes.user', operator: 'IS_ONE_OF', values: ['a*', 'b'] }, { field: 'process', operator: 'CONTAINS', value: '-k' }]), exception([{ field: 'dest', operator: 'MATCHES', value: 'lab-*' }], null, 'e2')],
      NOW,
    )
    expect(formatWhere(applied.where)).toBe('process_name = "*" AND NOT (user IS ONE OF ("a*", "b") AND process CONTAINS "-k") AND NOT dest = "lab-*"')
    expect(applied.query.where).toBe(applied.where)
    const terms = explainMatch(applied.where, event('x', { user: 'B', process: 'x -K y', dest: 'host-1' }))
    expect(terms.map((t) => [t.term, t.satisfied])).toEqual([
      ['process_name="*"', true],
      ['user IS "b"', false],
      ['process CONTAINS "-k"', false],
      ['dest="lab-*"', true],
    ])
  })

  it('runs unchanged through the aggregator and its prefilter: excepted events never reach a group', () => {
    const ngrokRule = compileWhere('Processes.process_name=ngrok.exe')
    const applied = applyExceptions(ngrokRule, [exception([{ field: 'dest', operator: 'IS', value: 'lab-1' }])], NOW)
    // The exception sits under NOT, so the rule's prefilter needs are those of its own search.
    expect(new RuleIndex([applied]).stats).toEqual(new RuleIndex([ngrokRule]).stats)
    const aggregator = new DetectionAggregator([applied])
    for (const dest of ['lab-1', 'LAB-1', 'prod-1', 'prod-1', 'lab-2']) aggregator.add(processEvent(0, { process_name: 'ngrok.exe', dest }))
    expect(aggregator.rows().map((r) => [r.fields.dest, r.count])).toEqual([
      ['lab-2', 1],
      ['prod-1', 2],
    ])
  })
})
