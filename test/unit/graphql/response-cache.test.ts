import type { ApolloServerPlugin, GraphQLRequestContextWillSendResponse, GraphQLRequestListener } from '@apollo/server'
import { parse, type OperationDefinitionNode } from 'graphql'
import { describe, expect, it, vi } from 'vitest'
import type { RequestContext } from '../../../src/graphql/context.js'
import { readsOnlyCacheableFields } from '../../../src/graphql/response-cache/cacheable-operations.js'
import { responseCache } from '../../../src/graphql/response-cache/response-cache-plugin.js'
import { ResponseStore } from '../../../src/graphql/response-cache/response-store.js'
import { executableSchema } from '../../../src/graphql/server.js'

const cacheable = (query: string): boolean => readsOnlyCacheableFields(executableSchema, parse(query))

describe('which documents the response cache may answer', () => {
  it('takes the triage queue and the risk objects, with fragments and __typename', () => {
    expect(cacheable('{ detections(first: 50) { totalCount pageInfo { hasNextPage endCursor } edges { cursor node { id fields rule { id name mitre { id } } mitre { id name tactics } threatObjects { value type } } } } }')).toBe(true)
    expect(cacheable('query Q { riskObjects(first: 100) { __typename object type totalScore riskEventCount ruleCount tactics firstSeen lastSeen rules { name } } }')).toBe(true)
    expect(cacheable('{ detections { edges { node { ...D } } } } fragment D on Detection { id status assignee riskEvents { score time } }')).toBe(true)
  })

  it('refuses any document reading a field whose data Postgres does not announce, anywhere in it', () => {
    // Comments, drilldown events, a rule's condition (it reads macros), other root fields, mutations.
    expect(cacheable('{ detections { edges { node { id comments { body } } } } }')).toBe(false)
    expect(cacheable('{ detections { edges { node { id riskEvents { events { totalCount } } } } } }')).toBe(false)
    expect(cacheable('{ riskObjects { rules { condition } } }')).toBe(false)
    expect(cacheable('{ detections { totalCount } uploads { totalCount } }')).toBe(false)
    expect(cacheable('{ detections { edges { node { ...D } } } } fragment D on Detection { id comments { body } }')).toBe(false)
    expect(cacheable('mutation { assignDetection(id: "x", assignee: "a") { id } }')).toBe(false)
  })
})

describe('the response store', () => {
  it('hands an answer out only for the version it was stored with, and drops it once stale', () => {
    const store = new ResponseStore(1_000)
    store.set('k', 1, { a: 1 }, 10)
    expect(store.get('k', 1)).toEqual({ a: 1 })
    expect(store.get('k', 2)).toBeUndefined()
    expect(store.get('k', 1)).toBeUndefined()
    expect(store.size).toBe(0)
  })

  it('stays within its size, letting the least recently used answers go first', () => {
    const store = new ResponseStore(100)
    store.set('a', 1, 'A', 40)
    store.set('b', 1, 'B', 40)
    expect(store.get('a', 1)).toBe('A')
    store.set('c', 1, 'C', 40)
    expect(store.get('b', 1)).toBeUndefined()
    expect([store.get('a', 1), store.get('c', 1)]).toEqual(['A', 'C'])
    expect(store.size).toBe(80)
    store.set('huge', 1, 'H', 101)
    expect(store.get('huge', 1)).toBeUndefined()
    expect(store.size).toBe(80)
  })
})

describe('the response cache serializes each answer once', () => {
  const QUERY = '{ riskObjects(first: 2) { object totalScore } }'
  const document = parse(QUERY)
  const operation = document.definitions[0] as OperationDefinitionNode
  const contextValue = { principal: { tenantId: 't1', role: 'reader' } } as unknown as RequestContext
  const answer = () => ({ riskObjects: [{ object: 'alice', totalScore: 90 }, { object: 'ws-01 — "ü"', totalScore: 40 }] })

  /** One request through the plugin's hooks as Apollo calls them; returns the result Apollo would send. */
  async function request(plugin: ApolloServerPlugin<RequestContext>, execute: () => Record<string, unknown>) {
    const listener = (await plugin.requestDidStart!({} as never)) as GraphQLRequestListener<RequestContext>
    const early = await listener.responseForOperation!({ document, operation, request: { query: QUERY }, contextValue, queryHash: 'h1' } as never)
    const singleResult = early?.body.kind === 'single' ? early.body.singleResult : { data: execute() }
    await listener.willSendResponse!({ response: { body: { kind: 'single', singleResult }, http: {} } } as unknown as GraphQLRequestContextWillSendResponse<RequestContext>)
    return { errors: undefined, data: singleResult.data, extensions: undefined }
  }

  it("sends a stored answer's body as it was serialized when stored, byte for byte what Apollo would send", async () => {
    const cache = responseCache({ schema: executableSchema, versions: { versionOf: () => 1, changed: () => {} } as never, maxBytes: 1 << 20 })
    const execute = vi.fn(answer)
    const first = await request(cache.plugin, execute)
    const firstBody = cache.stringifyResult(first)
    expect(firstBody).toBe(`${JSON.stringify({ data: answer() })}\n`)

    const stringify = vi.spyOn(JSON, 'stringify')
    try {
      const again = await request(cache.plugin, execute)
      stringify.mockClear()
      expect(cache.stringifyResult(again)).toBe(firstBody)
      expect(stringify).not.toHaveBeenCalled()
    } finally {
      stringify.mockRestore()
    }
    expect(execute).toHaveBeenCalledTimes(1)
  })

  it('serializes anything else as Apollo does: errors, extensions, answers it did not store', async () => {
    const cache = responseCache({ schema: executableSchema, versions: { versionOf: () => null, changed: () => {} } as never, maxBytes: 1 << 20 })
    const unstored = await request(cache.plugin, answer)
    expect(cache.stringifyResult(unstored)).toBe(`${JSON.stringify({ data: answer() })}\n`)
    const withErrors = { errors: [{ message: 'no' }], data: null, extensions: undefined }
    expect(cache.stringifyResult(withErrors)).toBe(`${JSON.stringify(withErrors)}\n`)

    const caching = responseCache({ schema: executableSchema, versions: { versionOf: () => 1, changed: () => {} } as never, maxBytes: 1 << 20 })
    const stored = await request(caching.plugin, answer)
    const withExtensions = { ...stored, extensions: { note: 1 } }
    expect(caching.stringifyResult(withExtensions)).toBe(`${JSON.stringify(withExtensions)}\n`)
  })
})
