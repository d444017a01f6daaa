import { describe, expect, it } from 'vitest'
import { compileWhere, processEvent } from './helpers.js'

/** `process_guid` is a plain CIM field: null when the add-on did not extract it. */
const withGuid = processEvent(0, { process_name: 'cmd.exe', process: 'cmd.exe /c whoami', process_guid: '{AAAA}' })
const withoutGuid = processEvent(0, { process_name: 'cmd.exe', process: 'cmd.exe /c whoami' })

describe('field comparison semantics', () => {
  // Splunk search manual ("Using the NOT or != comparisons"): field!=v needs the field to exist,
  // NOT field=v also returns events without the field.
  it('field!=v is false when the field is null; NOT field=v is true', () => {
    const ne = compileWhere('Processes.process_guid!="{BBBB}"')
    const not = compileWhere('NOT Processes.process_guid="{BBBB}"')
    expect(withoutGuid.process_guid).toBeNull()
    expect(ne.matches(withoutGuid)).toBe(false)
    expect(not.matches(withoutGuid)).toBe(true)
    expect(ne.matches(withGuid)).toBe(true)
    expect(not.matches(withGuid)).toBe(true)
    expect(compileWhere('Processes.process_guid!="{aaaa}"').matches(withGuid)).toBe(false)
  })

  it('field=* matches any present value and never a null field', () => {
    const any = compileWhere('Processes.process_guid=*')
    expect(any.matches(withGuid)).toBe(true)
    expect(any.matches(withoutGuid)).toBe(false)
  })

  it('compares values case-insensitively but field names case-sensitively', () => {
    expect(compileWhere('Processes.process_name=CMD.EXE').matches(withGuid)).toBe(true)
    expect(compileWhere('processes.process_name=cmd.exe').matches(withGuid)).toBe(false)
    expect(compileWhere('Processes.Process_Name=cmd.exe').matches(withGuid)).toBe(false)
  })

  it('treats fields outside the 20 CIM fields as always null', () => {
    expect(compileWhere('Processes.os="Microsoft Windows"').matches(withGuid)).toBe(false)
    expect(compileWhere('Processes.dest_category!=web_server').matches(withGuid)).toBe(false)
    expect(compileWhere('NOT Processes.os="Microsoft Windows"').matches(withGuid)).toBe(true)
    expect(compileWhere('Processes.os IN (a, b)').matches(withGuid)).toBe(false)
  })

  it('IN is an OR of its values, wildcards allowed in each', () => {
    const rule = compileWhere('Processes.process_name IN (powershell.exe, "cmd*")')
    expect(rule.matches(withGuid)).toBe(true)
    expect(rule.matches(processEvent(0, { process_name: 'pwsh.exe' }))).toBe(false)
    expect(compileWhere('NOT Processes.process_name IN (cmd.exe)').matches(withGuid)).toBe(false)
  })

  it('evaluates precedence as parsed: a b OR c', () => {
    const rule = compileWhere('Processes.process_name=cmd.exe Processes.process=*whoami* OR Processes.process=*net*')
    expect(rule.matches(withGuid)).toBe(true)
    expect(rule.matches(processEvent(0, { process_name: 'cmd.exe', process: 'cmd.exe /c net user' }))).toBe(true)
    expect(rule.matches(processEvent(0, { process_name: 'powershell.exe', process: 'whoami' }))).toBe(false)
  })

  it('unescapes SPL backslashes before matching: "*\\\\C$\\\\*" matches a path containing \\C$\\', () => {
    const rule = compileWhere('Processes.process="*\\\\C$\\\\*"')
    expect(rule.where).toEqual({ kind: 'compare', field: 'Processes.process', op: 'eq', value: '*\\C$\\*' })
    expect(rule.matches(processEvent(0, { process: 'copy x.exe \\\\10.0.0.5\\c$\\temp\\' }))).toBe(true)
    expect(rule.matches(processEvent(0, { process: 'copy x.exe C$ temp' }))).toBe(false)
  })

  it('matches the calculated "unknown" like any other value', () => {
    const noName = processEvent(0, {})
    expect(noName.process_name).toBe('unknown')
    expect(compileWhere('Processes.process_name=unknown').matches(noName)).toBe(true)
  })
})
