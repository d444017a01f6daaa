import { describe, expect, it } from 'vitest'
import { BUILTIN_MACROS, createMacroSet, macroKey } from '../../../src/detection/index.js'
import { substituteArgs } from '../../../src/detection/macros/expand.js'

describe('macro set', () => {
  it('holds the builtins ESCU searches need', () => {
    const set = createMacroSet()
    expect(set.get('summariesonly_config')?.definition).toBe('false')
    expect(set.get('oldsummaries_config')?.definition).toBe('true')
    expect(set.get('fillnull_config')?.definition).toBe('null')
    expect(set.get('drop_dm_object_name', 1)?.args).toEqual(['object'])
    expect(set.get('security_content_ctime(1)')?.definition).toBe('convert timeformat="%Y-%m-%dT%H:%M:%S" ctime($field$)')
    expect(set.definitions()).toHaveLength(BUILTIN_MACROS.length)
  })

  it('looks macros up by Splunk key name(N) and by name + arity, which are distinct', () => {
    const set = createMacroSet([{ name: 'm', args: [], definition: 'zero' }, { name: 'm', args: ['a'], definition: 'one $a$' }])
    expect(set.get('m')?.definition).toBe('zero')
    expect(set.get('m', 1)?.definition).toBe('one $a$')
    expect(set.get('m(1)')?.definition).toBe('one $a$')
    expect(set.get('m', 2)).toBeUndefined()
    expect(set.aritiesOf('m')).toEqual([0, 1])
    expect(macroKey('m', 1)).toBe('m(1)')
  })

  it('lets later layers win: builtins < imported < tenant overrides', () => {
    const imported = [{ name: 'fillnull_config', args: [], definition: 'NULL' }]
    const tenant = [{ name: 'fillnull_config', args: [], definition: 'n/a' }]
    expect(createMacroSet(imported).get('fillnull_config')?.definition).toBe('NULL')
    expect(createMacroSet(imported, tenant).get('fillnull_config')?.definition).toBe('n/a')
  })

  it('defaults any <name>_filter macro to `search *` unless defined', () => {
    const set = createMacroSet([{ name: 'b_filter', args: [], definition: 'search user!=x' }])
    expect(set.get('a_filter')?.definition).toBe('search *')
    expect(set.get('b_filter')?.definition).toBe('search user!=x')
    expect(set.get('not_a_filter_macro')).toBeUndefined()
  })

  it('substitutes every $arg$ occurrence textually', () => {
    const def = { name: 'p', args: ['name', 'alt'], definition: '(Processes.process_name=$name$ OR Processes.original_file_name=$name$ OR x=$alt$)' }
    expect(substituteArgs(def, ['cmd.exe', '"a b"'])).toBe('(Processes.process_name=cmd.exe OR Processes.original_file_name=cmd.exe OR x="a b")')
  })
})
