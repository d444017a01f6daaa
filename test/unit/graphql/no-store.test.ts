import { pino } from 'pino'
import { describe, expect, it } from 'vitest'
import type { RequestContext } from '../../../src/graphql/context.js'
import { createApolloServer } from '../../../src/graphql/server.js'

// Every GraphQL answer holds one tenant's data: no browser or shared proxy may keep it.
describe('GraphQL responses', () => {
  it('are never stored by caches, whether they answer data or an error', async () => {
    const server = createApolloServer({ production: true, log: pino({ level: 'silent' }) })
    await server.start()
    try {
      for (const query of ['{ __typename }', '{ nope }']) {
        const res = await server.executeOperation({ query }, { contextValue: { principal: null } as RequestContext })
        expect({ query, cacheControl: res.http.headers.get('cache-control') }).toEqual({ query, cacheControl: 'no-store' })
      }
    } finally {
      await server.stop()
    }
  })
})
