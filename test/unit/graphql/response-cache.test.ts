import { parse } from 'graphql'
import { describe, expect, it } from 'vitest'
import { readsOnlyCacheableFields } from '../../../src/graphql/response-cache/cacheable-operations.js'
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
