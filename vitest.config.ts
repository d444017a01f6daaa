import { createRequire } from 'node:module'
import { defineConfig } from 'vitest/config'

// Vite would resolve `graphql` to its ESM build ("module"), while Node — and so every dependency
// vitest leaves to Node, Apollo Server and @graphql-tools among them — loads its CommonJS one
// ("main"): two graphql instances in one process, whose schemas and errors the other refuses
// ("Cannot use GraphQLSchema … from another module or realm"). Everyone gets Node's, as in production.
const resolve = { alias: [{ find: /^graphql$/, replacement: createRequire(import.meta.url).resolve('graphql') }] }

// Unit tests run in parallel with no services; integration tests share the local Postgres and
// Redis, each file in its own database and queue prefix, so files run one at a time.
export default defineConfig({
  test: {
    reporters: ['default', './test/summary-reporter.ts'],
    projects: [
      {
        resolve,
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          pool: 'threads',
          testTimeout: 30_000,
        },
      },
      {
        resolve,
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          globalSetup: ['test/global-setup.ts'],
          pool: 'forks',
          fileParallelism: false,
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
})
