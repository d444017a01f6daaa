/**
 * Splunk's token substitution in a drilldown (ES fills a notable's drilldown search from its
 * fields): every `$name$` with a value is replaced by that value as it is — no quoting or
 * escaping, as Splunk does without a token filter — and a token with no value stays exactly as
 * written and is reported, so a reader sees what did not resolve.
 */

export interface RenderedText {
  readonly text: string
  /** The tokens left as written, each once, in order of appearance (e.g. `$dest$`). */
  readonly unresolved: readonly string[]
}

/** The same token syntax as the rba message's (render/risk.ts): `$` name `$`, no spaces. */
const TOKEN = /\$([^$\s]+)\$/g

export function renderTokens(template: string, values: ReadonlyMap<string, string>): RenderedText {
  const unresolved: string[] = []
  const text = template.replace(TOKEN, (token, name: string) => {
    const value = values.get(name)
    if (value !== undefined) return value
    if (!unresolved.includes(token)) unresolved.push(token)
    return token
  })
  return { text, unresolved }
}
