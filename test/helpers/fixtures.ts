import { readFileSync } from 'node:fs'

/** Reads a file under test/fixtures/ (or the bundled rules) as text or bytes. */
export const fixturePath = (relative: string): URL => new URL(`../fixtures/${relative}`, import.meta.url)
export const readFixture = (relative: string): Buffer => readFileSync(fixturePath(relative))
export const SEED_RULE_YAML = readFileSync(new URL('../../src/rules/escu/windows_ngrok_reverse_proxy_usage.yml', import.meta.url), 'utf8')

/** Byte offset where 1-based line `line` of `bytes` starts. */
export function lineOffset(bytes: Buffer, line: number): number {
  let at = 0
  for (let n = 1; n < line; n++) at = bytes.indexOf(10, at) + 1
  return at
}

/** The secret part of an API key `wp_<10-char prefix>_<secret>` (the secret may itself contain `_`). */
export const keySecret = (key: string): string => key.slice('wp_'.length + 10 + 1)

/**
 * `copies` copies of a Windows XML log, each event of copy n with its EventRecordID raised by
 * n × 1,000,000: distinct events (an event is stored once per tenant, by Computer|Channel|EventRecordID).
 */
export function distinctCopies(xml: Buffer, copies: number, firstCopy = 0): Buffer {
  const text = xml.toString('utf8')
  return Buffer.concat(
    Array.from({ length: copies }, (_, i) => i + firstCopy).map((n) =>
      Buffer.from(text.replace(/<EventRecordID>(\d+)<\/EventRecordID>/g, (_m, id: string) => `<EventRecordID>${Number(id) + n * 1_000_000}</EventRecordID>`) + '\n'),
    ),
  )
}
