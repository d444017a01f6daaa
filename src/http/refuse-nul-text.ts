import type { RequestHandler } from 'express'
import { InvalidInputError } from '../errors.js'
import { sendGraphQLError } from './error-response.js'

/**
 * Postgres text cannot hold U+0000, so a NUL in any GraphQL text — a filter, a key name, rule
 * YAML — would fail as an internal error wherever it reached a query. Such requests are refused
 * up front as BAD_USER_INPUT, naming where the NUL is. Runs after the body parsers, on the
 * variables (walked without recursion: their nesting is the client's choice) and on the query
 * text's `\u0000` escapes.
 */
export const refuseNulText: RequestHandler = (req, res, next) => {
  const body = req.body as { query?: unknown; variables?: unknown } | undefined
  // GET requests carry the query and the variables (as JSON text) in the URL.
  const texts: [unknown, string][] = [[body?.query, 'query'], [req.query.query, 'query'], [req.query.variables, 'variables']]
  const where = pathOfNul(body?.variables, 'variables') ?? texts.find(([text]) => typeof text === 'string' && NUL_IN_TEXT.test(text))?.[1] ?? null
  if (where === null) return next()
  const message = `text may not contain the NUL character (U+0000), which cannot be stored: found in ${where}`
  sendGraphQLError(res, new InvalidInputError(message, { field: where }), () => {})
}

/** A NUL, or a GraphQL/JSON escape of one (`\u0000`, `\u{0}`). */
const NUL_IN_TEXT = /\u0000|\\u(0000|\{0+\})/i

/** The path of the first string holding a NUL in JSON-like data, or null. Files (class instances) are not walked. */
function pathOfNul(root: unknown, rootPath: string): string | null {
  const pending: [unknown, string][] = [[root, rootPath]]
  while (pending.length > 0) {
    const [value, path] = pending.pop()!
    if (typeof value === 'string') {
      if (value.includes('\u0000')) return path
    } else if (Array.isArray(value)) {
      value.forEach((v, i) => pending.push([v, `${path}[${i}]`]))
    } else if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
      for (const [k, v] of Object.entries(value)) pending.push([v, `${path}.${k}`])
    }
  }
  return null
}
