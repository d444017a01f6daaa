import { describe, expect, it } from 'vitest'
import { RuleSyntaxError } from '../../../src/detection/index.js'
import { tokenize, unescapeSpl } from '../../../src/detection/spl/tokenize.js'

const shape = (text: string) => tokenize(text).map((t) => [t.type, t.value])

describe('SPL tokenizer', () => {
  it('splits field=value, != and IN lists into separate tokens', () => {
    expect(shape('Processes.process_name=ngrok.exe Processes.user!=x Processes.process IN ("*a*", b)')).toEqual([
      ['word', 'Processes.process_name'],
      ['op', '='],
      ['word', 'ngrok.exe'],
      ['word', 'Processes.user'],
      ['op', '!='],
      ['word', 'x'],
      ['word', 'Processes.process'],
      ['word', 'IN'],
      ['lparen', '('],
      ['string', '*a*'],
      ['comma', ','],
      ['word', 'b'],
      ['rparen', ')'],
    ])
  })

  it('reads macro calls with their raw arguments', () => {
    const [m] = tokenize('`drop_dm_object_name("Processes")`')
    expect(m).toMatchObject({ type: 'macro', value: 'drop_dm_object_name', args: ['"Processes"'] })
    expect(tokenize('`f(a, "b, c", d(e,f))`')[0]!.args).toEqual(['a', '"b, c"', 'd(e,f)'])
    expect(tokenize('`plain`')[0]!.args).toEqual([])
  })

  it('applies SPL escapes: \\\\ → \\, \\" → ", other \\x stays \\x', () => {
    expect(unescapeSpl('a\\\\b')).toBe('a\\b')
    expect(unescapeSpl('say \\"hi\\"')).toBe('say "hi"')
    expect(unescapeSpl('\\C$\\n')).toBe('\\C$\\n')
    expect(tokenize('x="*\\\\C$\\\\*"')[2]!.value).toBe('*\\C$\\*')
    expect(tokenize('x=*\\\\framework*\\\\v*\\\\*')[2]!.value).toBe('*\\framework*\\v*\\*')
  })

  it('keeps balanced parentheses and = inside an unquoted value, but stops at an unbalanced )', () => {
    expect(shape('(p=*GetCurrent()*)')).toEqual([
      ['lparen', '('],
      ['word', 'p'],
      ['op', '='],
      ['word', '*GetCurrent()*'],
      ['rparen', ')'],
    ])
    expect(shape('p=*-enc=* q=1')[2]).toEqual(['word', '*-enc=*'])
  })

  it('ends a quoted value at its closing quote even without a following space', () => {
    expect(shape('a="* Nul*"b="x"').map(([, v]) => v)).toEqual(['a', '=', '* Nul*', 'b', '=', 'x'])
  })

  it('keeps the source text so that a quoted "AND" is not a keyword', () => {
    const [t] = tokenize('"AND"')
    expect(t).toMatchObject({ type: 'string', value: 'AND', raw: '"AND"' })
  })

  it('reports line and column of an unterminated string and macro', () => {
    const err = (text: string) => {
      try {
        tokenize(text)
      } catch (e) {
        return e as RuleSyntaxError
      }
      throw new Error('expected an error')
    }
    expect(err('a=1\n  b="open')).toMatchObject({ line: 2, column: 5, reason: 'unterminated quoted string' })
    expect(err('x `macro')).toMatchObject({ line: 1, column: 3 })
  })
})
