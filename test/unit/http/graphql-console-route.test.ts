import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import express from 'express'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CONSOLE_CSP, graphqlConsoleRouter } from '../../../src/http/graphql-console/console-route.js'

// The console's routes over a build folder made here: which requests get the page, which go on to
// Apollo (a stand-in answering 418), which files are served and how. The real bundle is checked in
// test/integration/graphql-console.test.ts and in Chromium.

const BROWSER = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8'
const SCRIPT = 'console.log("the console")\n'.repeat(50)

async function serve(dir: string): Promise<{ url: string; close(): Promise<void> }> {
  const app = express()
  app.use(graphqlConsoleRouter(dir))
  app.use((_req, res) => {
    res.status(418).send('apollo')
  })
  const server = app.listen(0, '127.0.0.1')
  await new Promise((r) => server.once('listening', r))
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => new Promise((r) => server.close(() => r(undefined))) }
}

describe('GraphQL console routes', () => {
  let dir: string
  let built: { url: string; close(): Promise<void> }
  let unbuilt: { url: string; close(): Promise<void> }

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'watchpost-console-'))
    await writeFile(join(dir, 'index.html'), '<!doctype html><title>the page</title>')
    await writeFile(join(dir, 'console.js'), SCRIPT)
    await writeFile(join(dir, 'console.js.gz'), gzipSync(SCRIPT))
    await writeFile(join(dir, 'codicon.ttf'), 'font bytes')
    await writeFile(join(dir, 'build-stamp'), 'stamp')
    await writeFile(join(dir, '.hidden.js'), 'hidden')
    built = await serve(dir)
    unbuilt = await serve(join(dir, 'nowhere'))
  })
  afterAll(async () => {
    await built?.close()
    await unbuilt?.close()
    await rm(dir, { recursive: true, force: true })
  })

  it('gives a browser that opens /graphql the page, with a CSP that allows this origin only', async () => {
    const res = await fetch(`${built.url}/graphql`, { headers: { accept: BROWSER } })
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toMatch(/^text\/html/)
    expect(await res.text()).toBe('<!doctype html><title>the page</title>')
    expect(res.headers.get('content-security-policy')).toBe(CONSOLE_CSP)
    expect(res.headers.get('x-content-type-options')).toBe('nosniff')
    expect(res.headers.get('x-frame-options')).toBe('DENY')
  })

  it('has a CSP with no remote origin, no inline or eval script, and inline styles only', () => {
    const directives = Object.fromEntries(CONSOLE_CSP.split('; ').map((d) => [d.split(' ')[0]!, d.split(' ').slice(1)]))
    expect(directives['default-src']).toEqual(["'none'"])
    expect(directives['script-src']).toEqual(["'self'"])
    expect(directives['connect-src']).toEqual(["'self'"])
    expect(directives['worker-src']).toEqual(["'self'"])
    expect(directives['frame-ancestors']).toEqual(["'none'"])
    const sources = Object.values(directives).flat()
    expect(sources.filter((s) => !["'self'", "'none'", "'unsafe-inline'", 'data:'].includes(s))).toEqual([])
    expect(Object.entries(directives).filter(([, s]) => s.includes("'unsafe-inline'")).map(([d]) => d)).toEqual(['style-src'])
  })

  it('sends every other request for /graphql on to Apollo: JSON or any type accepted, or an operation in the URL', async () => {
    for (const headers of [{ accept: 'application/json' }, { accept: '*/*' }, {}, { accept: 'application/graphql-response+json' }] as Record<string, string>[]) {
      expect((await fetch(`${built.url}/graphql`, { headers })).status).toBe(418)
    }
    expect((await fetch(`${built.url}/graphql?query=%7B__typename%7D`, { headers: { accept: BROWSER } })).status).toBe(418)
    expect((await fetch(`${built.url}/graphql`, { method: 'POST', headers: { accept: BROWSER } })).status).toBe(418)
  })

  it('serves the bundles, gzip-compressed to clients that accept it', async () => {
    const plain = await fetch(`${built.url}/assets/graphql-console/console.js`, { headers: { 'accept-encoding': 'identity' } })
    expect(plain.status).toBe(200)
    expect(plain.headers.get('content-type')).toMatch(/^text\/javascript|^application\/javascript/)
    expect(plain.headers.get('content-encoding')).toBeNull()
    expect(await plain.text()).toBe(SCRIPT)
    const gzipped = await fetch(`${built.url}/assets/graphql-console/console.js`, { headers: { 'accept-encoding': 'gzip' } })
    expect(gzipped.headers.get('content-encoding')).toBe('gzip')
    expect(gzipped.headers.get('vary')).toMatch(/Accept-Encoding/i)
    expect(Number(gzipped.headers.get('content-length'))).toBeLessThan(SCRIPT.length)
    expect(await gzipped.text()).toBe(SCRIPT)
    // A file without a compressed copy is sent as it is.
    const font = await fetch(`${built.url}/assets/graphql-console/codicon.ttf`, { headers: { 'accept-encoding': 'gzip' } })
    expect(font.status).toBe(200)
    expect(font.headers.get('content-encoding')).toBeNull()
    expect(await font.text()).toBe('font bytes')
  })

  it('serves nothing else from the build folder or beside it', async () => {
    for (const path of ['build-stamp', 'index.html', '.hidden.js', 'missing.js', '..%2Fconsole.js', '%2E%2E%2Fpackage.json', 'console.js.gz']) {
      const res = await fetch(`${built.url}/assets/graphql-console/${path}`)
      expect(res.status, path).toBe(404)
    }
  })

  it('says how to build the console when it is not built, and the API still answers', async () => {
    const res = await fetch(`${unbuilt.url}/graphql`, { headers: { accept: BROWSER } })
    expect(res.status).toBe(503)
    expect(await res.text()).toContain('npm run generate')
    expect((await fetch(`${unbuilt.url}/graphql`, { headers: { accept: 'application/json' } })).status).toBe(418)
    expect((await fetch(`${unbuilt.url}/assets/graphql-console/console.js`)).status).toBe(404)
  })
})
