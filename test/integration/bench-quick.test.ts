import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { describe, expect, it } from 'vitest'

// `npm run bench -- --quick` in CI: keeps the benchmark harness working (every stage runs and
// reports a row) without judging the figures, which mean nothing at this size on a shared machine.

const ROOT = new URL('../../', import.meta.url)
/** Rule evaluation needs the ESCU corpus of ../shared; without it the stage says it was skipped. */
const HAS_CORPUS = existsSync(new URL('../shared/datasets/escu-endpoint-processes/', ROOT))
const STAGES = ['parse + normalize: Sysmon XML', 'parse + normalize: Sysmon EVTX', 'storing normalized events', ...(HAS_CORPUS ? ['rule evaluation', 'offline scan (read, normalize, rules)'] : ['rule evaluation: skipped']), 'memory:', 'end to end', 'GraphQL', 'scheduled scan']

describe('npm run bench -- --quick', () => {
  it('runs every stage and writes its table to test/artifacts', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/bench/run.ts', '--quick'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve))
    expect(code, stderr.slice(-4000)).toBe(0)
    const written = await readFile(new URL('test/artifacts/bench-quick.md', ROOT), 'utf8')
    for (const stage of STAGES) expect(written, stage).toContain(stage)
    expect(stdout).toContain('| scheduled scan')
  }, 600_000)
})
