import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'

/**
 * The real service processes a benchmark measures: `watchpost serve` and `watchpost worker`,
 * started exactly as an operator would (the CLI, configured by the environment), ready once they
 * log "watchpost started", and stopped with SIGTERM so they drain as in production.
 */

export interface BenchProcess {
  readonly proc: ChildProcess
  /** The API's base URL (`serve`); null for a worker. */
  readonly url: string | null
  /** SIGTERM, then waits for the exit (SIGKILL after 10 s). */
  stop(): Promise<void>
}

const CLI = fileURLToPath(new URL('../../src/cli/bin.js', import.meta.url))
const STARTUP_TIMEOUT_MS = 60_000

/**
 * With BENCH_PROFILE_DIR set, every process a benchmark starts writes a CPU profile there when it
 * stops (node --cpu-prof; NODE_OPTIONS may not carry that flag), named by process id.
 */
const profileArgs = (): string[] => {
  const dir = process.env.BENCH_PROFILE_DIR
  return dir ? ['--cpu-prof', `--cpu-prof-dir=${dir}`] : []
}

/**
 * Starts `watchpost <command>` with `env` over the benchmark's own environment and resolves once
 * it is ready. Logs go to a pipe that is read and dropped (a full pipe would stall the process).
 */
export async function startWatchpost(command: 'serve' | 'worker', env: Record<string, string>): Promise<BenchProcess> {
  const proc = spawn(process.execPath, [...profileArgs(), CLI, command], { env: { ...process.env, LOG_LEVEL: 'info', ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  let stderrTail = ''
  proc.stderr!.on('data', (d: Buffer) => void (stderrTail = (stderrTail + d.toString()).slice(-4000)))
  const url = await new Promise<string | null>((resolve, reject) => {
    let out = ''
    const timer = setTimeout(() => fail(new Error(`watchpost ${command} not ready after ${STARTUP_TIMEOUT_MS} ms`)), STARTUP_TIMEOUT_MS)
    const onExit = (code: number | null): void => fail(new Error(`watchpost ${command} exited (${code}) before it was ready: ${stderrTail}`))
    function fail(err: Error): void {
      clearTimeout(timer)
      proc.off('exit', onExit)
      proc.kill('SIGKILL')
      reject(err)
    }
    const onData = (d: Buffer): void => {
      out += d.toString()
      for (let nl = out.indexOf('\n'); nl >= 0; nl = out.indexOf('\n')) {
        const line = out.slice(0, nl)
        out = out.slice(nl + 1)
        if (!line.includes('"watchpost started"')) continue
        clearTimeout(timer)
        proc.off('exit', onExit)
        proc.stdout!.off('data', onData).resume()
        resolve((JSON.parse(line) as { url: string | null }).url)
        return
      }
    }
    proc.stdout!.on('data', onData)
    proc.on('exit', onExit)
  })
  return {
    proc,
    url,
    async stop() {
      if (proc.exitCode !== null || proc.signalCode !== null) return
      const exited = once(proc, 'exit')
      proc.kill('SIGTERM')
      const timer = setTimeout(() => proc.kill('SIGKILL'), 10_000)
      await exited
      clearTimeout(timer)
    },
  }
}
