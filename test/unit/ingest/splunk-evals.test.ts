import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { rebuild4688Process } from '../../../src/ingest/security-4688/normalize.js'
import { splitCommandLine, stripDomain, sysmonBasename, windowsLastSegment } from '../../../src/ingest/splunk-evals.js'

/** The add-ons' regexes, reproduced (ESCU-SEMANTICS.md §3.1, §3.2). */

describe('sysmonBasename: replace(x,"(.*\\\\)(?=.*(\\.\\w*)$|(\\w+)$)","")', () => {
  it.each([
    ['C:\\Windows\\System32\\cmd.exe', 'cmd.exe'],
    ['C:\\x\\mytool', 'mytool'], // all word characters
    ['C:\\x\\my-tool', 'C:\\x\\my-tool'], // no extension, not all word characters: path kept whole
    ['C:\\x\\my-tool.exe', 'my-tool.exe'],
    ['C:\\dir.d\\my-tool', 'C:\\dir.d\\my-tool'], // a dot in an earlier segment does not help
    ['C:\\x\\archive.tar.gz', 'archive.tar.gz'],
    ['C:\\x\\name.', 'name.'], // `\.\w*` accepts an empty extension
    ['C:\\x\\file.ex-e', 'C:\\x\\file.ex-e'],
    ['C:\\x\\', 'C:\\x\\'], // trailing backslash: nothing after it matches
    ['cmd.exe', 'cmd.exe'],
    ['\\\\server\\share\\tool.exe', 'tool.exe'],
    ['C:\\Program Files\\app v2\\run me.exe', 'run me.exe'],
    ['C:\\x\\tool\u00e9.exe', 'tool\u00e9.exe'],
    ['C:\\x\\caf\u00e9', 'C:\\x\\caf\u00e9'], // \w is ASCII in PCRE
    ['C:\\TOOLS\\NGROK.EXE', 'NGROK.EXE'],
  ])('%s → %s', (path, expected) => {
    expect(sysmonBasename(path)).toBe(expected)
  })
})

describe('stripDomain: replace(User,"(.*)\\\\(.+)$","\\2")', () => {
  it.each([
    ['CORP\\alice', 'alice'],
    ['ATTACKRANGE\\Administrator', 'Administrator'],
    ['NT AUTHORITY\\SYSTEM', 'SYSTEM'],
    ['alice', 'alice'],
    ['a\\b\\c', 'c'], // greedy: the last backslash
    ['CORP\\', 'CORP\\'], // `.+` needs a character after the backslash
  ])('%s → %s', (user, expected) => {
    expect(stripDomain(user)).toBe(expected)
  })
})

describe('Windows TA 4688 helpers', () => {
  it.each([
    ['C:\\a\\b.exe', 'b.exe'],
    ['b.exe', 'b.exe'],
    ['C:\\Program Files\\x y\\z-z', 'z-z'], // unlike the Sysmon regex: always the last segment
    ['C:\\a\\', ''],
  ])('last segment of %s is %s', (path, expected) => {
    expect(windowsLastSegment(path)).toBe(expected)
  })

  it('splits a command line like (^\\"[^\\"]+\\"|[^\\s]+)\\s*(.*)', () => {
    expect(splitCommandLine('"C:\\Program Files\\a.exe" -x "y z"')).toEqual({ token: '"C:\\Program Files\\a.exe"', rest: '-x "y z"' })
    expect(splitCommandLine('a.exe   -x')).toEqual({ token: 'a.exe', rest: '-x' })
    expect(splitCommandLine('  a.exe -x')).toEqual({ token: 'a.exe', rest: '-x' }) // unanchored: leading blanks skipped
    expect(splitCommandLine('"unterminated x')).toEqual({ token: '"unterminated', rest: 'x' })
    expect(splitCommandLine('   ')).toBeNull()
  })

  it.each([
    ['C:\\x\\ngrok.exe', 'ngrok.exe http 80', 'C:\\x\\ngrok.exe http 80'], // first token without `\`: image path in front
    ['C:\\Program Files\\x\\a.exe', 'a.exe -v', '"C:\\Program Files\\x\\a.exe" -v'], // quoted when it has whitespace
    ['C:\\x\\a.exe', '"C:\\x\\a.exe" -v', '"C:\\x\\a.exe" -v'], // first token has `\`: verbatim
    ['C:\\x\\a.exe', 'C:\\x\\a.exe', 'C:\\x\\a.exe'],
    ['C:\\x\\a.exe', '"a.exe" -v', 'C:\\x\\a.exe -v'], // the quoted token is replaced, not kept
    ['C:\\x\\a.exe', 'a.exe', 'C:\\x\\a.exe '], // NewProcessName + " " + (empty) arguments, literally
    ['C:\\x\\a.exe', null, 'C:\\x\\a.exe'], // command-line auditing off
    ['C:\\x\\a.exe', '   ', 'C:\\x\\a.exe'],
    [null, 'a.exe x', 'a.exe x'],
  ])('rebuild4688Process(%s, %s) = %s', (image, commandLine, expected) => {
    expect(rebuild4688Process(image, commandLine)).toBe(expected)
  })
})

describe('the linear implementations equal the literal PCRE-style regexes', () => {
  // PCRE: `.` excludes only \n; `$` is the end or before a final \n; `\w`/`\s` are ASCII.
  const BASENAME = /([^\n]*\\)(?=[^\n]*(\.\w*)(?=\n?$(?![\s\S]))|(\w+)(?=\n?$(?![\s\S])))/g
  const DOMAIN = /([^\n]*)\\([^\n]+)(?=\n?$(?![\s\S]))/g
  const TOKEN = /(^"[^"]+"|[^ \t\n\v\f\r]+)[ \t\n\v\f\r]*([^\n]*)/
  const text = fc.string({ unit: fc.constantFrom('a', 'Z', '_', '1', '-', '.', '\\', '\n', ' ', '\t', '"', 'é'), maxLength: 14 })

  it('sysmonBasename, stripDomain, splitCommandLine', () => {
    fc.assert(
      fc.property(text, (s) => {
        expect(sysmonBasename(s)).toBe(s.replace(BASENAME, ''))
        expect(stripDomain(s)).toBe(s.replace(DOMAIN, '$2'))
        const m = TOKEN.exec(s)
        expect(splitCommandLine(s)).toEqual(m ? { token: m[1], rest: m[2] } : null)
      }),
      { numRuns: 20000 },
    )
  })

  it('stay linear on hostile values', () => {
    const hostile = `${'\\a'.repeat(200_000)}-`
    const t0 = performance.now()
    sysmonBasename(hostile)
    stripDomain(`${'\\'.repeat(400_000)}`)
    splitCommandLine(`"${' '.repeat(400_000)}`)
    expect(performance.now() - t0).toBeLessThan(1000)
  })
})
