import { spawn, type ChildProcess } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { Readable } from 'node:stream'
import { fileURLToPath } from 'node:url'
import { createPool } from '../../src/db/pool.js'
import { createPrisma } from '../../src/db/prisma.js'
import { enableBundledRules } from '../../src/services/bundled-content.js'
import { createTenant } from '../../src/store/tenants.js'
import { syntheticSysmonLines } from '../unit/ingest/helpers/synthetic-sysmon.js'
import { createBenchDatabase } from './bench-database.js'
import { DEPLOYED_ENV } from './deployed-env.js'

/**
 * Peak RSS of the real processes on a large upload: `watchpost serve` receives a generated Sysmon
 * log of `gb` gigabytes over POST /v1/uploads (streamed, never held in memory by the client) and
 * one `watchpost worker` parses it, COPYs the events into Postgres and runs every bundled rule.
 * The figures are each process's VmHWM (peak resident set) from /proc, read when the job is done.
 */

export interface WorkerMemoryResult {
  gigabytes: number
  events: number
  status: string
  workerPeakRssMB: number
  apiPeakRssMB: number
  receiveSeconds: number
  processSeconds: number
}

const CLI = fileURLToPath(new URL('../../src/cli/bin.js', import.meta.url))

async function peakRssMB(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8')
  const kb = Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? NaN)
  return kb / 1024
}

function startCli(args: string[], env: Record<string, string>): { proc: ChildProcess; url: Promise<string | null> } {
  const proc = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] })
  const url = new Promise<string | null>((resolve) => {
    let err = ''
    proc.stderr!.on('data', (d) => {
      err += d
      const m = /GraphQL API at (http:\/\/\S+)\/graphql/.exec(err)
      if (m) resolve(m[1]!)
    })
    if (!args.includes('serve')) resolve(null)
  })
  return { proc, url }
}

function generatedLog(totalBytes: number): Readable {
  const block = Buffer.from(syntheticSysmonLines(23, 4_000, "'", 0.01).join('\n') + '\n')
  let sent = 0
  return new Readable({
    read() {
      if (sent >= totalBytes) return void this.push(null)
      sent += block.length
      this.push(block)
    },
  })
}

/** `processEnv`: added to both processes' environment (default DEPLOYED_ENV; `{}` for Node's and glibc's defaults). */
export async function measureWorkerMemory(gb: number, processEnv: Readonly<Record<string, string>> = DEPLOYED_ENV): Promise<WorkerMemoryResult> {
  const db = await createBenchDatabase()
  const { name, url: databaseUrl } = db
  const pool = createPool(databaseUrl, { max: 2 })
  const prisma = createPrisma(pool)
  const { tenant, apiKey } = await createTenant(prisma, 'bench')
  await enableBundledRules(prisma, tenant.id, null)
  const env = { ...processEnv, DATABASE_URL: databaseUrl, QUEUE_PREFIX: name, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'warn', WORKER_CONCURRENCY: '1' }
  const api = startCli(['serve'], env)
  const worker = startCli(['worker'], env)
  try {
    const base = await api.url
    const t0 = performance.now()
    const res = await fetch(`${base}/v1/uploads?fileName=bench.xml`, {
      method: 'POST',
      headers: { authorization: `Bearer ${apiKey}` },
      body: Readable.toWeb(generatedLog(gb * 1e9)) as ReadableStream,
      duplex: 'half',
    } as RequestInit)
    const { upload } = (await res.json()) as { upload: { id: string } }
    const t1 = performance.now()
    let row: { status: string; event_count: number }
    for (;;) {
      row = (await pool.query('SELECT status, event_count FROM uploads WHERE id = $1', [upload.id])).rows[0]
      if (!['QUEUED', 'RUNNING'].includes(row.status)) break
      await new Promise((r) => setTimeout(r, 500))
    }
    return {
      gigabytes: gb,
      events: row.event_count,
      status: row.status,
      workerPeakRssMB: await peakRssMB(worker.proc.pid!),
      apiPeakRssMB: await peakRssMB(api.proc.pid!),
      receiveSeconds: (t1 - t0) / 1000,
      processSeconds: (performance.now() - t1) / 1000,
    }
  } finally {
    api.proc.kill('SIGTERM')
    worker.proc.kill('SIGTERM')
    await new Promise((r) => setTimeout(r, 1500))
    await prisma.$disconnect()
    await pool.end()
    await db.drop()
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) console.log(await measureWorkerMemory(Number(process.argv[2] ?? 0.1), process.argv.includes('--bare') ? {} : DEPLOYED_ENV))
