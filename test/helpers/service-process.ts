import { spawn, type ChildProcess } from 'node:child_process'
import { CLI, REPO_ROOT } from './run-cli.js'
import { TEST_REDIS_URL } from './test-env.js'

/**
 * `watchpost serve | worker | start` as a real child process, configured by its environment as an
 * operator would run it, for tests that must send real signals (graceful shutdown) or keep the
 * service's event loop apart from the test's (load). Ready once it logs "watchpost started"; its
 * JSON log lines are kept for assertions.
 */

export interface LogLine {
  msg: string
  level: number
  time: number
  [key: string]: unknown
}

export interface ProcessExit {
  code: number | null
  signal: NodeJS.Signals | null
  /** performance.now() when it exited. */
  at: number
}

export interface ServiceProcess {
  readonly proc: ChildProcess
  /** The API's base URL; null for a worker. */
  readonly url: string | null
  /** Every JSON log line so far, in order. */
  readonly logs: readonly LogLine[]
  /** Everything written to stderr so far (non-JSON output: the URL line, crashes). */
  stderr(): string
  readonly exited: Promise<ProcessExit>
  /** Resolves with the first log line (past or future) whose msg matches (a string: equals), and `fields` if given. */
  waitForLog(msg: string | RegExp, fields?: Record<string, unknown>, timeoutMs?: number): Promise<LogLine>
  /** SIGKILL if it still runs (cleanup after a failed test). */
  kill(): Promise<void>
}

const STARTUP_TIMEOUT_MS = 60_000

/** The environment of a service over `databaseUrl` and its own queue prefix, rate limits off. */
export function serviceEnv(databaseUrl: string, queuePrefix: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    DATABASE_URL: databaseUrl,
    REDIS_URL: TEST_REDIS_URL,
    PORT: '0',
    HOST: '127.0.0.1',
    QUEUE_PREFIX: queuePrefix,
    NODE_ENV: 'test',
    LOG_LEVEL: 'info',
    RATE_LIMIT_PER_MINUTE: '0',
    RATE_LIMIT_UNAUTHENTICATED_PER_MINUTE: '0',
    ...extra,
  }
}

export async function startServiceProcess(command: 'serve' | 'worker' | 'start', env: Record<string, string>): Promise<ServiceProcess> {
  const proc = spawn(process.execPath, [CLI, command], { cwd: REPO_ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  const logs: LogLine[] = []
  const waiters: { match: (l: LogLine) => boolean; resolve: (l: LogLine) => void }[] = []
  let stderr = ''
  let partial = ''
  proc.stderr!.on('data', (d: Buffer) => void (stderr += d.toString()))
  proc.stdout!.on('data', (d: Buffer) => {
    partial += d.toString()
    for (let nl = partial.indexOf('\n'); nl >= 0; nl = partial.indexOf('\n')) {
      const text = partial.slice(0, nl)
      partial = partial.slice(nl + 1)
      let line: LogLine
      try {
        line = JSON.parse(text) as LogLine
      } catch {
        continue
      }
      logs.push(line)
      for (const w of waiters.splice(0)) {
        if (w.match(line)) w.resolve(line)
        else waiters.push(w)
      }
    }
  })
  // 'close', not 'exit': by then every log line has been read.
  const exited = new Promise<ProcessExit>((resolve) => proc.on('close', (code, signal) => resolve({ code, signal, at: performance.now() })))
  const matcher = (msg: string | RegExp, fields: Record<string, unknown>) => (l: LogLine) =>
    (typeof msg === 'string' ? l.msg === msg : msg.test(l.msg)) && Object.entries(fields).every(([k, v]) => l[k] === v)

  function waitForLog(msg: string | RegExp, fields: Record<string, unknown> = {}, timeoutMs = 30_000): Promise<LogLine> {
    const match = matcher(msg, fields)
    const found = logs.find(match)
    if (found) return Promise.resolve(found)
    return new Promise((resolve, reject) => {
      const what = `"${msg}" ${JSON.stringify(fields)}`
      const timer = setTimeout(() => reject(new Error(`watchpost ${command} logged no ${what} within ${timeoutMs} ms; stderr: ${stderr.slice(-2000)}`)), timeoutMs)
      waiters.push({ match, resolve: (l) => (clearTimeout(timer), resolve(l)) })
      void exited.then(() => {
        clearTimeout(timer)
        reject(new Error(`watchpost ${command} exited before logging ${what}; stderr: ${stderr.slice(-2000)}`))
      })
    })
  }

  const started = await Promise.race([
    waitForLog('watchpost started', {}, STARTUP_TIMEOUT_MS),
    exited.then((e) => Promise.reject(new Error(`watchpost ${command} exited (${e.code ?? e.signal}) before it was ready: ${stderr.slice(-2000)}`))),
  ]).catch((err: unknown) => {
    proc.kill('SIGKILL')
    throw err
  })
  return {
    proc,
    url: (started.url as string | null) ?? null,
    logs,
    stderr: () => stderr,
    exited,
    waitForLog,
    async kill() {
      if (proc.exitCode !== null || proc.signalCode !== null) return
      proc.kill('SIGKILL')
      await exited
    },
  }
}
