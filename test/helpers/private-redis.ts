import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import net from 'node:net'
import { Redis } from 'ioredis'

/**
 * A redis-server of one test's own on a free loopback port, without persistence, that the test may
 * flush, kill, restart empty or freeze — what must never be done to the Redis other test files
 * share. The binary is the one `.ci/run` installs.
 */
export interface PrivateRedis {
  readonly port: number
  readonly url: string
  /** FLUSHALL: every key gone, the server and its connections stay. */
  flushAll(): Promise<void>
  /** SIGKILL, then a new empty server on the same port: a restart without persistence. */
  restart(): Promise<void>
  /** SIGKILL: the port refuses connections until up(). */
  down(): Promise<void>
  /** A new empty server on the same port after down(). */
  up(): Promise<void>
  /** SIGSTOP: connections stay open, nothing is answered (a hung Redis). */
  freeze(): void
  /** SIGCONT after freeze(). */
  thaw(): void
  stop(): Promise<void>
}

export async function startPrivateRedis(): Promise<PrivateRedis> {
  const port = await freePort()
  let server = await launch(port)
  const admin = (): Redis => new Redis({ host: '127.0.0.1', port, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null })
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    async flushAll() {
      const client = admin()
      try {
        await client.connect()
        await client.flushall()
      } finally {
        client.disconnect()
      }
    },
    async restart() {
      await kill(server)
      server = await launch(port)
    },
    down: () => kill(server),
    async up() {
      server = await launch(port)
    },
    freeze: () => void server.kill('SIGSTOP'),
    thaw: () => void server.kill('SIGCONT'),
    async stop() {
      server.kill('SIGCONT')
      await kill(server)
    },
  }
}

async function launch(port: number): Promise<ChildProcess> {
  const proc = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' })
  proc.on('error', () => {})
  const deadline = Date.now() + 10_000
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`redis-server exited (${proc.exitCode}) on port ${port}`)
    if (await answersPing(port)) return proc
    if (Date.now() > deadline) {
      proc.kill('SIGKILL')
      throw new Error(`redis-server on port ${port} did not answer PING within 10 s`)
    }
    await new Promise((r) => setTimeout(r, 50))
  }
}

async function answersPing(port: number): Promise<boolean> {
  const client = new Redis({ host: '127.0.0.1', port, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null })
  client.on('error', () => {})
  try {
    await client.connect()
    return (await client.ping()) === 'PONG'
  } catch {
    return false
  } finally {
    client.disconnect()
  }
}

async function kill(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return
  const exited = once(proc, 'exit')
  proc.kill('SIGKILL')
  await exited
}

/** A loopback port nothing listens on right now. */
export async function freePort(): Promise<number> {
  const probe = net.createServer()
  probe.listen(0, '127.0.0.1')
  await once(probe, 'listening')
  const { port } = probe.address() as net.AddressInfo
  await new Promise<void>((resolve) => probe.close(() => resolve()))
  return port
}
