/**
 * Run counts of the fuzz tests: small enough for CI (each fuzz file well under 30 s), raised for
 * a longer local hunt with FUZZ_RUNS (runs per property, e.g. FUZZ_RUNS=20000). FUZZ_SEED replays
 * the seed a failing run printed.
 */
export function fuzzOptions(defaultRuns: number): { numRuns: number; seed?: number } {
  const runs = Number(process.env.FUZZ_RUNS ?? defaultRuns)
  const seed = process.env.FUZZ_SEED === undefined ? undefined : Number(process.env.FUZZ_SEED)
  return { numRuns: runs, ...(seed === undefined ? {} : { seed }) }
}

/** Test timeout of a fuzz test: generous in CI (the machine is busy with other files), unbounded in practice for a FUZZ_RUNS hunt. */
export const FUZZ_TEST_TIMEOUT_MS = process.env.FUZZ_RUNS === undefined ? 90_000 : 24 * 3_600_000

/** Internal JavaScript failures that must never reach a user as an error message. */
export const INTERNAL_ERROR_TEXT = /TypeError|RangeError|ReferenceError|SyntaxError: Unexpected|Cannot read propert|is not a function|is not iterable|undefined is not|Maximum call stack|\bat .+\.(ts|js):\d+/

/** A lone UTF-16 surrogate: Postgres refuses it in json, and it renders as garbage. */
export const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/
