/**
 * GraphiQL's fetcher: POSTs each operation as JSON to this service's /graphql (same origin, no
 * cookies), with `Authorization: Bearer <key>` when a key is set. Headers from GraphiQL's headers
 * editor come last and win, so a different key or extra header can still be tried there.
 */
export const GRAPHQL_PATH = '/graphql'

export function createFetcher(apiKey) {
  return async (params, options) => {
    const headers = new Headers({ 'content-type': 'application/json', accept: 'application/json' })
    if (apiKey) headers.set('authorization', `Bearer ${apiKey}`)
    for (const [name, value] of Object.entries(options?.headers ?? {})) headers.set(name, String(value))
    const res = await fetch(GRAPHQL_PATH, { method: 'POST', headers, body: JSON.stringify(params), credentials: 'omit' })
    const text = await res.text()
    try {
      return JSON.parse(text)
    } catch {
      // Not GraphQL's JSON (a proxy's error page, say): show what came back instead of a parse error.
      return { errors: [{ message: `HTTP ${res.status}: ${text.slice(0, 500)}` }] }
    }
  }
}
