import { RuleSyntaxError, type SourcePosition } from '../errors.js'

/**
 * Splits SPL text into tokens. Lexing is context-sensitive in one place: the value after `=` or
 * `!=` is read up to whitespace, `|`, a quote or an unbalanced `)`, so that unquoted ESCU values
 * such as `*GetCurrent()*` or `*-enc=*` stay one value while `(a=b)` still closes its group.
 */

/** Token kinds; `op` covers `=`, `!=` and the numeric comparisons (which the parser rejects). */
export type TokenType = 'pipe' | 'lparen' | 'rparen' | 'comma' | 'op' | 'word' | 'string' | 'macro'

/** One token. `pos` is where it starts in the search text (for macro output: the macro call). */
export interface Token {
  readonly type: TokenType
  /** Unescaped text for words and strings; the operator for `op`; the macro name for `macro`. */
  readonly value: string
  /** Source text exactly as written (keywords must match it, so `"AND"` is a value). */
  readonly raw: string
  readonly pos: SourcePosition
  /** Raw macro arguments, for `macro` tokens only. */
  readonly args?: readonly string[]
  /** Macros this token was expanded from, outermost first. */
  readonly via?: readonly string[]
}

const WORD_BREAK = new Set([' ', '\t', '\r', '\n', '(', ')', ',', '|', '"', '`', '=', '<', '>'])
const VALUE_BREAK = new Set([' ', '\t', '\r', '\n', '|', '"', '`'])

/** SPL backslash escapes: `\\` → `\`, `\"` → `"`, any other `\x` stays `\x`. */
export function unescapeSpl(text: string): string {
  let out = ''
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!
    if (c === '\\' && i + 1 < text.length) {
      const n = text[i + 1]!
      out += n === '\\' || n === '"' ? n : c + n
      i++
    } else out += c
  }
  return out
}

/** Tokenises `text`; throws RuleSyntaxError with the position of the offending character. */
export function tokenize(text: string): Token[] {
  const lineStarts = [0]
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) lineStarts.push(i + 1)
  const posOf = (offset: number): SourcePosition => {
    let lo = 0
    let hi = lineStarts.length - 1
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1
      if (lineStarts[mid]! <= offset) lo = mid
      else hi = mid - 1
    }
    return { offset, line: lo + 1, column: offset - lineStarts[lo]! + 1 }
  }

  const tokens: Token[] = []
  let i = 0
  let valueMode = false
  const push = (type: TokenType, value: string, start: number, extra: Partial<Token> = {}): void => {
    tokens.push({ type, value, raw: text.slice(start, i), pos: posOf(start), ...extra })
  }

  while (i < text.length) {
    const c = text[i]!
    if (c === ' ' || c === '\t' || c === '\r' || c === '\n') {
      i++
      continue
    }
    const start = i
    const wasValue = valueMode
    valueMode = false
    if (c === '"') {
      i = skipQuoted(text, i, posOf)
      push('string', unescapeSpl(text.slice(start + 1, i - 1)), start)
    } else if (c === '`') {
      const close = text.indexOf('`', i + 1)
      if (close < 0) throw new RuleSyntaxError('unterminated macro: missing closing backtick', posOf(start))
      i = close + 1
      const { name, args } = parseMacroCall(text.slice(start + 1, close), posOf(start))
      push('macro', name, start, { args })
    } else if (c === '|' || c === '(' || c === ')' || c === ',') {
      i++
      push(c === '|' ? 'pipe' : c === '(' ? 'lparen' : c === ')' ? 'rparen' : 'comma', c, start)
    } else if (c === '=' || ((c === '!' || c === '<' || c === '>') && text[i + 1] === '=')) {
      i += c === '=' ? 1 : 2
      push('op', text.slice(start, i), start)
      valueMode = c === '=' || c === '!'
    } else if (c === '<' || c === '>') {
      i++
      push('op', c, start)
    } else {
      i = wasValue ? scanValue(text, i) : scanWord(text, i)
      push('word', unescapeSpl(text.slice(start, i)), start)
    }
  }
  return tokens
}

function skipQuoted(text: string, start: number, posOf: (o: number) => SourcePosition): number {
  let i = start + 1
  while (i < text.length) {
    const c = text[i]!
    if (c === '\\') i += 2
    else if (c === '"') return i + 1
    else i++
  }
  throw new RuleSyntaxError('unterminated quoted string', posOf(start))
}

function scanWord(text: string, start: number): number {
  let i = start
  while (i < text.length) {
    const c = text[i]!
    if (c === '\\') i += 2
    else if (WORD_BREAK.has(c) || (c === '!' && text[i + 1] === '=')) break
    else i++
  }
  return Math.min(i, text.length)
}

/** An unquoted value: parentheses inside it must balance; an unbalanced `)` ends it. */
function scanValue(text: string, start: number): number {
  let i = start
  let depth = 0
  while (i < text.length) {
    const c = text[i]!
    if (c === '\\') {
      i += 2
      continue
    }
    if (VALUE_BREAK.has(c)) break
    if (c === '(') depth++
    else if (c === ')') {
      if (depth === 0) break
      depth--
    }
    i++
  }
  return Math.min(i, text.length)
}

/** `name` or `name(arg, "arg, with comma")`: arguments split on top-level commas, kept raw. */
function parseMacroCall(body: string, pos: SourcePosition): { name: string; args: string[] } {
  const m = /^\s*([A-Za-z0-9_.:-]+)\s*(?:\(([\s\S]*)\))?\s*$/.exec(body)
  if (!m) throw new RuleSyntaxError(`malformed macro call \`${body}\``, pos)
  const inner = m[2]
  if (inner === undefined) return { name: m[1]!, args: [] }
  const args: string[] = []
  let depth = 0
  let quoted = false
  let current = ''
  for (let i = 0; i < inner.length; i++) {
    const c = inner[i]!
    if (c === '\\' && quoted) {
      current += c + (inner[i + 1] ?? '')
      i++
      continue
    }
    if (c === '"') quoted = !quoted
    else if (!quoted && c === '(') depth++
    else if (!quoted && c === ')') depth--
    else if (!quoted && depth === 0 && c === ',') {
      args.push(current.trim())
      current = ''
      continue
    }
    current += c
  }
  args.push(current.trim())
  return { name: m[1]!, args: args.length === 1 && args[0] === '' ? [] : args }
}
