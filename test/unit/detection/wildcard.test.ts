import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { compileWildcard } from '../../../src/detection/match/wildcard.js'

const matches = (pattern: string, value: string): boolean => compileWildcard(pattern).test(value.toLowerCase())

/** Reference semantics: `*` → `.*`, everything else literal, anchored, case-insensitive. */
function referenceRegex(pattern: string): RegExp {
  const body = pattern
    .split('*')
    .map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*')
  return new RegExp(`^${body}$`, 'is')
}

describe('wildcard matcher', () => {
  it('matches exact values case-insensitively and anchored', () => {
    expect(matches('ngrok.exe', 'NGROK.EXE')).toBe(true)
    expect(matches('ngrok.exe', 'ngrok.exe2')).toBe(false)
    expect(matches('ngrok.exe', 'xngrok.exe')).toBe(false)
    expect(compileWildcard('ngrok.exe').shape).toBe('exact')
  })

  it('handles prefix, suffix, contains and inner wildcards', () => {
    expect(compileWildcard('C:\\Windows\\*').shape).toBe('prefix')
    expect(matches('C:\\Windows\\*', 'c:\\windows\\system32\\cmd.exe')).toBe(true)
    expect(matches('C:\\Windows\\*', 'd:\\c:\\windows\\x')).toBe(false)
    expect(compileWildcard('*.dll').shape).toBe('suffix')
    expect(matches('*.dll', 'evil.DLL')).toBe(true)
    expect(matches('*.dll', 'evil.dll.txt')).toBe(false)
    expect(compileWildcard('*start*').shape).toBe('contains')
    expect(matches('*start*', 'C:\\ProgramData\\Start Menu\\x')).toBe(true)
    expect(matches('*start*', 'strat')).toBe(false)
    expect(compileWildcard('*/Q /c * \\\\127.0.0.1\\*$*').shape).toBe('general')
    expect(matches('*/Q /c * \\\\127.0.0.1\\*$*', 'cmd.exe /Q /c whoami \\\\127.0.0.1\\ADMIN$\\__1 2>&1')).toBe(true)
    expect(matches('a*b*c', 'abc')).toBe(true)
    expect(matches('a*b*c', 'acb')).toBe(false)
    expect(matches('a*b', 'ab_b')).toBe(true)
  })

  it('lets a lone * match any value, including the empty one', () => {
    expect(compileWildcard('*').shape).toBe('any')
    expect(matches('*', '')).toBe(true)
    expect(matches('**', 'x')).toBe(true)
  })

  it('matches unescaped backslashes literally ("*\\\\C$\\\\*" after SPL unescaping is *\\C$\\*)', () => {
    expect(matches('*\\C$\\*', '\\\\host\\C$\\temp\\x.exe')).toBe(true)
    expect(matches('*\\C$\\*', '\\\\host\\D$\\temp')).toBe(false)
  })

  it('agrees with a reference regex on generated patterns and values', () => {
    const alphabet = fc.constantFrom('a', 'B', 'b', '*', '.', '\\', '$', ' ', 'é', 'É')
    const text = (max: number) => fc.array(alphabet, { maxLength: max }).map((cs) => cs.join(''))
    fc.assert(
      fc.property(text(8), text(12), (pattern, raw) => {
        const value = raw.replace(/\*/g, '')
        expect(matches(pattern, value)).toBe(referenceRegex(pattern).test(value))
      }),
      { numRuns: 3000 },
    )
  })

  it('agrees with a reference regex on a tiny alphabet, where overlaps between segments are common', () => {
    const pattern = fc.array(fc.constantFrom('a', 'b', '*'), { maxLength: 7 }).map((cs) => cs.join(''))
    const value = fc.array(fc.constantFrom('a', 'b', 'A'), { maxLength: 7 }).map((cs) => cs.join(''))
    fc.assert(
      fc.property(pattern, value, (p, v) => {
        expect(matches(p, v)).toBe(referenceRegex(p).test(v))
      }),
      { numRuns: 5000 },
    )
  })

  it('agrees with the reference when the value is built from the pattern (mostly matching cases)', () => {
    const segment = fc.array(fc.constantFrom('a', 'b', 'x', '\\'), { maxLength: 3 }).map((cs) => cs.join(''))
    fc.assert(
      fc.property(fc.array(segment, { minLength: 1, maxLength: 5 }), fc.array(segment, { maxLength: 5 }), (parts, fillers) => {
        const pattern = parts.join('*')
        const value = parts.map((p, i) => p + (i < parts.length - 1 ? (fillers[i] ?? '') : '')).join('')
        expect(matches(pattern, value.toUpperCase())).toBe(referenceRegex(pattern).test(value))
      }),
      { numRuns: 2000 },
    )
  })
})
