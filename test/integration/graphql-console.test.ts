import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestTenant } from '../helpers/tenant.js'
import { graphql, startTestService, type TestService } from '../helpers/test-service.js'

// The GraphQL console's page and bundles as the real service serves them (built by
// `npm run generate`), and who may introspect the schema it browses. The page in a real browser:
// graphql-console-browser.test.ts.

const BROWSER = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8'

describe('GraphQL console: page and bundles', () => {
  let svc: TestService

  beforeAll(async () => {
    svc = await startTestService({ worker: false })
  })
  afterAll(async () => {
    await svc?.close()
  })

  it('serves a page whose every script, style and worker comes from the service', async () => {
    const res = await fetch(`${svc.url}/graphql`, { headers: { accept: BROWSER } })
    const html = await res.text()
    expect(res.status, html).toBe(200)
    expect(res.headers.get('content-security-policy')).toContain("script-src 'self'")
    const urls = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!)
    expect(urls.filter((u) => !u.startsWith('/assets/graphql-console/') && u !== 'data:,'), 'URLs that are not the service’s').toEqual([])
    // The page's own files, and the workers browser/monaco-workers.js asks for.
    const files = [...urls.filter((u) => u.startsWith('/')), ...['editor', 'json', 'graphql'].map((w) => `/assets/graphql-console/${w}.worker.js`)]
    expect(files).toEqual(expect.arrayContaining(['/assets/graphql-console/console.js', '/assets/graphql-console/console.css']))
    for (const file of files) {
      const asset = await fetch(`${svc.url}${file}`)
      expect(asset.status, file).toBe(200)
      expect(asset.headers.get('content-type'), file).toMatch(file.endsWith('.css') ? /^text\/css/ : /javascript/)
      expect((await asset.arrayBuffer()).byteLength, file).toBeGreaterThan(10_000)
    }
    // The page is GraphiQL itself, bundled, not a loader for it.
    expect(await (await fetch(`${svc.url}/assets/graphql-console/console.js`)).text()).toContain('graphiql-execute-button')
  })

  it('leaves /graphql to Apollo for API clients', async () => {
    const curl = await fetch(`${svc.url}/graphql`, { headers: { accept: '*/*' } })
    expect(curl.headers.get('content-type')).not.toMatch(/html/)
    expect((await graphql(svc.url, null, '{ __typename }')).data).toEqual({ __typename: 'Query' })
  })

  it('outside production, lets anyone introspect (as before)', async () => {
    const res = await graphql<{ __schema: { queryType: { name: string } } }>(svc.url, null, '{ __schema { queryType { name } } }')
    expect(res.errors).toBeUndefined()
    expect(res.data?.__schema.queryType.name).toBe('Query')
  })
})

describe('GraphQL console: introspection in production', () => {
  let svc: TestService
  let apiKey: string

  beforeAll(async () => {
    svc = await startTestService({ worker: false, env: { NODE_ENV: 'production' } })
    apiKey = (await createTestTenant(svc.databaseUrl, 'introspecting')).apiKey
  })
  afterAll(async () => {
    await svc?.close()
  })

  const ask = (key: string | null, query: string) =>
    fetch(`${svc.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) },
      body: JSON.stringify({ query }),
    })

  it('refuses introspection without a key (401, UNAUTHENTICATED), however it is written', async () => {
    for (const query of ['{ __schema { queryType { name } } }', '{ t: __type(name: "Detection") { name } }', 'query { ...F } fragment F on Query { __schema { types { name } } }']) {
      const res = await ask(null, query)
      expect(res.status, query).toBe(401)
      const body = (await res.json()) as { data?: unknown; errors: { message: string; extensions: { code: string } }[] }
      expect(body.errors[0]!.extensions.code).toBe('UNAUTHENTICATED')
      expect(body.errors[0]!.message).toMatch(/introspection needs an API key/)
      expect(body.data).toBeUndefined()
    }
  })

  it('answers introspection to any API key, as GraphiQL asks for it', async () => {
    const res = await ask(apiKey, '{ __schema { queryType { name } mutationType { name } types { name } } }')
    expect(res.status).toBe(200)
    const body = (await res.json()) as { data: { __schema: { queryType: { name: string }; mutationType: { name: string }; types: { name: string }[] } } }
    expect(body.data.__schema.queryType.name).toBe('Query')
    expect(body.data.__schema.mutationType.name).toBe('Mutation')
    expect(body.data.__schema.types.map((t) => t.name)).toContain('Detection')
  })

  it('still answers __typename without a key, and still hides field suggestions', async () => {
    expect((await graphql(svc.url, null, '{ __typename }')).data).toEqual({ __typename: 'Query' })
    const typo = await graphql(svc.url, apiKey, '{ detection { totalCount } }')
    expect(typo.errors?.[0]?.message).not.toMatch(/Did you mean/)
  })
})
