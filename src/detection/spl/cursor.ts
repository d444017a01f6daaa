import { RuleSyntaxError, type SourcePosition } from '../errors.js'
import type { Token } from './tokenize.js'

/**
 * How deep parentheses and NOTs may nest. ESCU searches nest a few levels; the parser, the
 * compiler and the matcher all recurse on the tree, so a hostile `((((…` must stop here with a
 * positioned error instead of exhausting the stack.
 */
export const MAX_NESTING = 100

/** Reads a token list left to right and builds positioned errors for the parser. */
export class TokenCursor {
  private index = 0
  private depth = 0

  constructor(
    private readonly tokens: readonly Token[],
    /** Reported for "unexpected end": the end of the segment being parsed. */
    private readonly endPos: SourcePosition,
  ) {}

  /** The token `ahead` places from the current one, or undefined past the end. */
  peek(ahead = 0): Token | undefined {
    return this.tokens[this.index + ahead]
  }

  /** Consumes and returns the current token; `expected` names what was wanted if none is left. */
  next(expected: string): Token {
    const t = this.tokens[this.index]
    if (t === undefined) throw this.errorAtEnd(`unexpected end of search, expected ${expected}`)
    this.index++
    return t
  }

  atEnd(): boolean {
    return this.index >= this.tokens.length
  }

  /** Enters a nested term opened by `token` (`(` or NOT); throws past MAX_NESTING levels. */
  enter(token: Token): void {
    if (++this.depth > MAX_NESTING) throw this.error(`the search nests parentheses and NOT more than ${MAX_NESTING} levels deep`, token)
  }

  leave(): void {
    this.depth--
  }

  /** An error at `token`, naming the macro it came from when it was produced by expansion. */
  error(reason: string, token: Token): RuleSyntaxError {
    const via = token.via !== undefined && token.via.length > 0 ? ` (in macro \`${token.via.join('` → `')}\`)` : ''
    return new RuleSyntaxError(reason + via, token.pos)
  }

  errorAtEnd(reason: string): RuleSyntaxError {
    return new RuleSyntaxError(reason, this.endPos)
  }
}

/** True for an unquoted upper-case keyword token (`AND`, `OR`, `NOT`, `IN`): SPL keywords are case-sensitive. */
export function isKeyword(token: Token | undefined, keyword: string): boolean {
  return token !== undefined && token.type === 'word' && token.raw === keyword
}

/** True for an unquoted word equal to `word` ignoring case (`FROM`/`from`, `BY`/`by`, `as`/`AS`). */
export function isWordCI(token: Token | undefined, word: string): boolean {
  return token !== undefined && token.type === 'word' && token.raw.toLowerCase() === word
}

/** Shows a token in an error message. */
export function describeToken(token: Token): string {
  return token.type === 'macro' ? `macro \`${token.value}\`` : `\`${token.raw}\``
}
