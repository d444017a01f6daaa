import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { generate } from '@graphql-codegen/cli'
import { describe, expect, it } from 'vitest'
import config, { RESOLVER_TYPES_FILE } from '../../../codegen.js'

const root = fileURLToPath(new URL('../../../', import.meta.url))

describe('generated resolver types', () => {
  it(`${RESOLVER_TYPES_FILE} is what graphql-codegen makes of the current schema`, async () => {
    const outputs = (await generate({ ...config, cwd: root }, false)) as { filename: string; content: string }[]
    const fresh = outputs.find((o) => o.filename === RESOLVER_TYPES_FILE)
    expect(fresh, `codegen.ts generates no ${RESOLVER_TYPES_FILE}`).toBeDefined()
    const committed = readFileSync(join(root, RESOLVER_TYPES_FILE), 'utf8')
    expect(committed === fresh!.content, `${RESOLVER_TYPES_FILE} is stale: the schema or codegen.ts changed since it was generated. Regenerate it with \`npm run generate\` and commit it.`).toBe(true)
  })
})
