import { readFileSync, readdirSync } from 'node:fs'
import { describe, expect, it } from 'vitest'

/**
 * Prisma batches findUnique / findUniqueOrThrow calls made in the same tick into one query, run in
 * the async context of the first caller. Row-level security takes the tenant from that context
 * (src/db/db-scope.ts), so two requests of different tenants batched together would run under one
 * tenant's scope: the other's row would look missing. Lookups use findFirst, which is never batched.
 */

const ROOTS = ['../../../src/', '../../../jobs/']

function sourceFiles(dir: URL): URL[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    if (e.isDirectory()) return e.name === 'generated' ? [] : sourceFiles(new URL(`${e.name}/`, dir))
    return e.name.endsWith('.ts') ? [new URL(e.name, dir)] : []
  })
}

describe('Prisma lookups under row-level security', () => {
  it('never use the batched findUnique / findUniqueOrThrow', () => {
    const files = ROOTS.flatMap((r) => sourceFiles(new URL(r, import.meta.url)))
    expect(files.length).toBeGreaterThan(50)
    const offenders = files.filter((f) => /\.findUnique(OrThrow)?\(/.test(readFileSync(f, 'utf8'))).map((f) => f.pathname.replace(/^.*\/(src|jobs)\//, '$1/'))
    expect(offenders).toEqual([])
  })
})
