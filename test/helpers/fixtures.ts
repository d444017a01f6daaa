import { readFileSync } from 'node:fs'

/** Reads a file under test/fixtures/ (or the bundled rules) as text or bytes. */
export const fixturePath = (relative: string): URL => new URL(`../fixtures/${relative}`, import.meta.url)
export const readFixture = (relative: string): Buffer => readFileSync(fixturePath(relative))
export const SEED_RULE_YAML = readFileSync(new URL('../../src/rules/escu/windows_ngrok_reverse_proxy_usage.yml', import.meta.url), 'utf8')
