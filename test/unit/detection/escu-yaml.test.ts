import { describe, expect, it } from 'vitest'
import { checkRule, compileRule, createMacroSet, parseRuleDocuments } from '../../../src/detection/index.js'
import { fixture, processEvent } from './helpers.js'

describe('parseRuleDocuments on a mixed YAML stream', () => {
  const text = fixture('mixed_stream.yml')
  const parsed = parseRuleDocuments(text, { file: 'mixed_stream.yml' })
  const issuesOf = (doc: number) => parsed.errors.filter((e) => e.document === doc)

  it('imports the good documents despite the bad ones', () => {
    expect(parsed.macros.map((m) => [m.name, m.args])).toEqual([['process_named', ['name']]])
    expect(parsed.rules.map((r) => [r.name, r.document])).toEqual([
      ['Tunnel Tool Start', 1],
      ['Unknown Technique Rule', 4],
    ])
  })

  it('keeps each document verbatim', () => {
    const rule = parsed.rules[0]!
    expect(text).toContain(rule.yaml)
    expect(rule.yaml).toContain('# document 1')
    expect(rule.yaml).not.toContain('# document 2')
    expect(parsed.macros[0]!.yaml).toContain('definition: (Processes.process_name="$name$"')
  })

  it('collects every problem of a bad document with field path, line and column', () => {
    const issues = issuesOf(2)
    expect(issues.every((i) => i.severity === 'error' && i.file === 'mixed_stream.yml')).toBe(true)
    const byField = new Map(issues.map((i) => [i.field, i]))
    expect(byField.get('version')?.message).toBe('version: is required')
    expect(byField.get('rba.risk_objects.0.score')?.message).toContain('0..100')
    expect(byField.get('tags.mitre_attack_id.1')?.message).toContain('not an ATT&CK technique id')
    const lines = text.split('\n')
    const at = (i: { line?: number; column?: number }) => lines[i.line! - 1]!.slice(i.column! - 1)
    expect(at(byField.get('tags.mitre_attack_id.1')!)).toBe('TA0011')
    expect(at(byField.get('rba.risk_objects.0.score')!)).toBe('150')
  })

  it('reports a document that is neither a detection nor a macro', () => {
    expect(issuesOf(3).map((i) => i.message)).toEqual(['document is neither a detection (no `search`) nor a macro (no `definition`)'])
  })

  it('warns about an ATT&CK id the bundled table does not know, and keeps the rule', () => {
    const [w] = issuesOf(4)
    expect(w).toMatchObject({ severity: 'warning', field: 'tags.mitre_attack_id.0' })
    expect(w!.message).toContain('T1999')
  })

  it('compiles the imported detection with the imported argument macro', () => {
    const compiled = compileRule(parsed.rules[0]!, createMacroSet(parsed.macros))
    expect(compiled.matches(processEvent(0, { process_name: 'TUNNEL.EXE' }))).toBe(true)
    expect(compiled.matches(processEvent(0, { process_name: 'x.exe', original_file_name: 'tunnel.exe' }))).toBe(true)
    expect(compiled.matches(processEvent(0, { process_name: 'x.exe' }))).toBe(false)
    expect(checkRule(parsed.rules[0]!, createMacroSet()).ok).toBe(false)
  })

  it('reports YAML syntax errors with their position and still reads the other documents', () => {
    const broken = 'name: ok_macro\ndefinition: "x"\n---\nname: bad\nsearch: [unclosed\n---\nname: m2\ndefinition: y\n'
    const r = parseRuleDocuments(broken)
    expect(r.macros.map((m) => m.name)).toEqual(['ok_macro', 'm2'])
    expect(r.errors.length).toBeGreaterThan(0)
    expect(r.errors.every((e) => e.document === 1 && e.severity === 'error' && e.line !== undefined)).toBe(true)
  })

  it('accepts macro names written as name(N) when N matches the arguments', () => {
    const ok = parseRuleDocuments('name: f(1)\narguments: [x]\ndefinition: Processes.user=$x$\n')
    expect(ok.macros).toEqual([expect.objectContaining({ name: 'f', args: ['x'] })])
    const bad = parseRuleDocuments('name: f(2)\narguments: [x]\ndefinition: Processes.user=$x$\n')
    expect(bad.macros).toEqual([])
    expect(bad.errors[0]!.message).toContain('declares 2 argument(s)')
  })
})
