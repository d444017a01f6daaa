import { mkdir } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { chromiumMissing, launchChromium, requireChromium, type Chromium } from '../helpers/chromium.js'
import { keySecret, readFixture, SEED_RULE_YAML } from '../helpers/fixtures.js'
import { createTestTenant } from '../helpers/tenant.js'
import { graphql, startTestService, type TestService } from '../helpers/test-service.js'
import { uploadMultipart, waitForUpload } from '../helpers/uploads.js'

// The GraphQL console as a person uses it, in headless Chromium against the real service in
// production mode (introspection only with a key): open /graphql, set the API key, type and run a
// detections query, read the answer off the page, browse the schema. Every request the page makes
// must go to the service, so the console works air-gapped. The screenshot is kept in
// test/artifacts/ (not committed). Without Chromium the test fails in CI and is skipped elsewhere.

const ARTIFACTS = fileURLToPath(new URL('../artifacts/', import.meta.url))

const QUERY = 'query DetectionsFromTheConsole { detections(first: 5) { totalCount edges { node { rule { name } count firstTime lastTime mitre { id name } } } } }'

describe('GraphQL console in headless Chromium', () => {
  let svc: TestService
  let apiKey: string
  let browser: Chromium

  beforeAll(async () => {
    if (chromiumMissing() !== null) return
    svc = await startTestService({ env: { NODE_ENV: 'production' } })
    apiKey = (await createTestTenant(svc.databaseUrl, 'console')).apiKey
    const imported = await graphql(svc.url, apiKey, 'mutation ($y: String!) { importRules(yaml: $y) { rules { id } } }', { y: SEED_RULE_YAML })
    expect(imported.errors).toBeUndefined()
    const upload = await uploadMultipart(svc.url, apiKey, 'ngrok-synthetic.xml', readFixture('logs/sysmon/ngrok-synthetic.xml'))
    expect((await waitForUpload(svc.url, apiKey, upload.data!.uploadLogs.id)).status).toBe('SUCCEEDED_WITH_ERRORS')
    browser = await launchChromium()
  })
  afterAll(async () => {
    await browser?.close()
    await svc?.close()
  })

  it('loads GraphiQL from the service alone, takes the API key, runs a detections query and shows the schema', async (ctx) => {
    requireChromium(ctx.skip)
    const page = await browser.context.newPage()
    const requested: string[] = []
    page.on('request', (r) => requested.push(r.url()))
    const blocked: string[] = []
    page.on('console', (m) => {
      if (/Content Security Policy/i.test(m.text())) blocked.push(m.text())
    })
    page.on('pageerror', (e) => blocked.push(`uncaught: ${e.message}`))

    await page.goto(`${svc.url}/graphql`)
    await expect.poll(() => page.title()).toBe('Watchpost GraphQL console')
    await page.getByRole('textbox', { name: 'API key' }).fill(apiKey)
    await page.getByRole('button', { name: 'Use key' }).click()
    const keyId = apiKey.slice(0, apiKey.length - keySecret(apiKey).length)
    await expect.poll(() => page.locator('.wp-key-status').textContent()).toContain(`Requests send ${keyId}…`)

    await typeQuery(page, QUERY)
    // GraphiQL reads the operation's name a moment after typing, and shows it as the tab's title.
    await expect.poll(() => page.locator('.graphiql-session-header').innerText()).toContain('DetectionsFromTheConsole')
    await page.getByRole('button', { name: /Prettify/ }).first().click()
    await page.getByRole('button', { name: /Execute query/ }).click()
    const answer = await responseText(page, '"totalCount": 4')
    expect(answer).toContain('"name": "Windows Ngrok Reverse Proxy Usage"')
    expect(answer).toContain('"count": 2')
    expect(answer).toContain('"firstTime": "2026-03-16T14:05:09"')
    expect(answer).toContain('"lastTime": "2026-03-16T14:05:10"')
    expect(answer).toContain('"id": "T1572"')
    expect(answer).not.toContain('"errors"')

    // With the key, production answers introspection: the docs list the schema's root fields.
    await page.getByRole('button', { name: 'Show Documentation Explorer' }).click()
    const docs = page.locator('.graphiql-doc-explorer')
    await expect.poll(() => docs.innerText()).toContain('Mutation')
    await docs.getByRole('link', { name: 'Query', exact: true }).first().click()
    await expect.poll(() => docs.innerText()).toMatch(/\bdetections\b/)

    await mkdir(ARTIFACTS, { recursive: true })
    await page.screenshot({ path: `${ARTIFACTS}graphql-console.png` })

    // The key lives in this tab's sessionStorage only: a reload keeps it, localStorage never has it.
    const secret = keySecret(apiKey)
    expect(await page.evaluate<string>('JSON.stringify({ ...localStorage })')).not.toContain(secret)
    await page.reload()
    await expect.poll(() => page.locator('.wp-key-status').textContent()).toContain(`Requests send ${keyId}…`)

    expect(blocked, 'Content-Security-Policy violations and uncaught errors').toEqual([])
    const origin = new URL(svc.url).origin
    expect(requested.length).toBeGreaterThan(3)
    expect(requested.filter((url) => !url.startsWith('data:') && new URL(url).origin !== origin), 'requests to other origins').toEqual([])
    expect(requested).toContain(`${origin}/assets/graphql-console/console.js`)
    await page.close()
  }, 120_000)
})

/** Replaces the query editor's text the way a paste does (Monaco: select all, then insert one line). */
async function typeQuery(page: Page, query: string): Promise<void> {
  await page.locator('.graphiql-query-editor .monaco-editor').first().click()
  await page.keyboard.press('ControlOrMeta+A')
  await page.keyboard.press('Delete')
  await page.keyboard.insertText(query)
}

/** The response pane's text (Monaco renders lines of spans, with non-breaking spaces) once it shows `expected`. */
async function responseText(page: Page, expected: string): Promise<string> {
  const pane = page.locator('.graphiql-response')
  const text = async () => (await pane.innerText()).replace(/\u00a0/g, ' ')
  await expect.poll(text, { timeout: 30_000 }).toContain(expected)
  return text()
}
