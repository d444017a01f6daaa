import { parseArgs } from 'node:util'
import { createBenchDatabase } from '../bench/bench-database.js'
import { recordFigures } from '../helpers/reliability-bed.js'
import { formatReport, runLoad } from './load-run.js'
import { FULL_SIZES, SHORT_SIZES } from './upload-mix.js'

/**
 * `npm run test:load`: the load run with the figures — 3 tenants, 20 concurrent upload
 * clients, 50 concurrent GraphQL readers, 60 s — on a database of its own (created, migrated,
 * dropped), printing the report as Markdown (also kept in test/artifacts/reliability/load.json).
 * Exits 1 when a request failed or a count is not exact.
 * `--duration S`, `--uploaders N`, `--readers N`, `--tenants N` change the figures; `--short`
 * uses the CI form's smaller files.
 */

const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '60' },
    uploaders: { type: 'string', default: '20' },
    readers: { type: 'string', default: '50' },
    tenants: { type: 'string', default: '3' },
    short: { type: 'boolean', default: false },
  },
})
const db = await createBenchDatabase()
try {
  const report = await runLoad({
    databaseUrl: db.url,
    durationMs: Number(values.duration) * 1000,
    uploaders: Number(values.uploaders),
    readers: Number(values.readers),
    tenants: Number(values.tenants),
    sizes: values.short ? SHORT_SIZES : FULL_SIZES,
    log: (line) => process.stderr.write(`${line}\n`),
  })
  process.stdout.write(`${formatReport(report)}\n`)
  recordFigures('load', { ...report, report: formatReport(report) })
  process.exitCode = report.passed ? 0 : 1
} finally {
  await db.drop()
}
