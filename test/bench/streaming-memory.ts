import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { createMacroSet, DetectionAggregator, compileRule, parseRuleDocuments } from '../../src/detection/index.js'
import { readEventBatches } from '../../src/ingest/index.js'
import { listBundledRules, loadBundledMacros } from '../../src/rules/bundled.js'
import { syntheticSysmonLines } from '../unit/ingest/helpers/synthetic-sysmon.js'
import { DEPLOYED_ENV } from './deployed-env.js'

/**
 * Peak memory of the worker's streaming path on a large upload: a child process reads a
 * generated Sysmon log of `gb` gigabytes (produced on the fly, never held in memory) through the
 * reader and every bundled rule, and reports its peak RSS. The target (issue: < 300 MB for 2 GB)
 * holds only if nothing buffers the whole upload. Run alone: `npx tsx test/bench/streaming-memory.ts child 2`.
 */

export interface StreamingMemoryResult {
  gigabytes: number
  events: number
  detectionRows: number
  peakRssMB: number
  seconds: number
}

async function* generatedLog(totalBytes: number): AsyncGenerator<Buffer> {
  const lines = syntheticSysmonLines(11, 4_000, "'", 0.01)
  const block = Buffer.from(lines.join('\n') + '\n')
  // Vary nothing but the order of blocks: the reader and the rules do the same work per byte.
  for (let sent = 0; sent < totalBytes; sent += block.length) yield block
}

/**
 * This process's own peak resident set: VmHWM of its address space. Not getrusage's maxRSS, which
 * Linux carries over an exec from the process that forked it — the benchmark's parent, holding
 * the earlier stages' data, made this stage report the parent's peak (358 MB against 200 alone).
 */
function ownPeakRssMB(): number {
  try {
    const kb = Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1])
    if (Number.isFinite(kb)) return kb / 1024
  } catch {
    // Not Linux: no /proc.
  }
  return process.resourceUsage().maxRSS / 1024
}

async function child(gb: number): Promise<void> {
  const macros = createMacroSet((await loadBundledMacros()).flatMap((m) => parseRuleDocuments(m.yaml).macros))
  const rules = (await listBundledRules()).map((b) => compileRule(parseRuleDocuments(b.yaml).rules[0]!, macros))
  const aggregator = new DetectionAggregator(rules)
  const started = performance.now()
  let events = 0
  for await (const batch of readEventBatches(generatedLog(gb * 1e9))) {
    for (const item of batch.items) {
      if (item.kind !== 'event') continue
      events++
      aggregator.add(item.event)
    }
  }
  const result: StreamingMemoryResult = {
    gigabytes: gb,
    events,
    detectionRows: aggregator.rows().length,
    peakRssMB: ownPeakRssMB(),
    seconds: (performance.now() - started) / 1000,
  }
  process.stdout.write(JSON.stringify(result) + '\n')
}

/** Runs the measurement in a fresh process, so the figure is that path's own peak, started as the Docker image starts the worker. */
export function measureStreamingMemory(gb: number): Promise<StreamingMemoryResult> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), 'child', String(gb)], { env: { ...process.env, ...DEPLOYED_ENV }, stdio: ['ignore', 'pipe', 'inherit'] })
    let out = ''
    proc.stdout.on('data', (d) => (out += d))
    proc.on('error', reject)
    proc.on('close', (code) => (code === 0 ? resolve(JSON.parse(out) as StreamingMemoryResult) : reject(new Error(`memory benchmark exited with ${code}`))))
  })
}

if (process.argv[2] === 'child') await child(Number(process.argv[3] ?? 2))
