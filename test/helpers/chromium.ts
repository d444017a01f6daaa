import { existsSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium, type BrowserContext } from 'playwright-core'

/**
 * Debian's Chromium, driven by playwright-core (which downloads no browser of its own). .ci/run
 * installs the `chromium` package; CHROMIUM_PATH names another build.
 */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

const ARGS = ['--no-sandbox', '--headless', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync']

/** Why browser tests cannot run on this machine, or null when they can. */
export function chromiumMissing(): string | null {
  return existsSync(CHROMIUM_PATH) ? null : `no Chromium at ${CHROMIUM_PATH} (install Debian's chromium package: apt-get install -y chromium; .ci/run does)`
}

/**
 * For a test that needs the browser: in CI a missing Chromium fails the test, because .ci/run
 * installs it; on a developer's machine the test is skipped with the reason.
 */
export function requireChromium(skip: (note: string) => never): void {
  const missing = chromiumMissing()
  if (missing === null) return
  if (process.env.CI !== undefined && process.env.CI !== 'false') throw new Error(`browser test cannot run: ${missing}`)
  console.warn(`browser test skipped: ${missing}`)
  skip(`skipped: ${missing}`)
}

export interface Chromium {
  context: BrowserContext
  close(): Promise<void>
}

/** A headless Chromium with a fresh profile, removed on close; every action bounded in time. */
export async function launchChromium(opts: { viewport?: { width: number; height: number }; timeoutMs?: number } = {}): Promise<Chromium> {
  const profile = await mkdtemp(join(tmpdir(), 'watchpost-chromium-'))
  try {
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM_PATH,
      headless: true,
      args: ARGS,
      viewport: opts.viewport ?? { width: 1400, height: 1000 },
      timeout: 60_000,
    })
    context.setDefaultTimeout(opts.timeoutMs ?? 30_000)
    return {
      context,
      async close() {
        await context.close().catch(() => {})
        await rm(profile, { recursive: true, force: true })
      },
    }
  } catch (err) {
    await rm(profile, { recursive: true, force: true })
    throw err
  }
}
