import { spawn } from 'node:child_process'
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SEED_RULE_YAML } from '../helpers/fixtures.js'
import { CLI, REPO_ROOT, runCli } from '../helpers/run-cli.js'
import { createTestTenant } from '../helpers/tenant.js'
import { graphql, startTestService, type TestService } from '../helpers/test-service.js'
import { syntheticLog } from '../load/synthetic-logs.js'

// `watchpost upload` against the real service, as a child process; and the progress bars of
// `upload` and `scan`, which only a terminal gets (a pseudo-terminal from util-linux `script`).

// Relative to the repository (the CLI's working directory): results name files as given.
const NGROK = 'test/fixtures/logs/sysmon/ngrok-synthetic.xml'
const EMPTY = 'test/fixtures/logs/malformed/empty.xml'
const ESCAPES = /\r|\x1b\[/

/** Runs the CLI with a pseudo-terminal as stdin, stdout and stderr; returns what the terminal showed. */
function runInTerminal(args: string[], env: Record<string, string>): Promise<{ code: number; screen: string }> {
  const command = [process.execPath, CLI, ...args].map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(' ')
  return new Promise((resolve, reject) => {
    const child = spawn('script', ['-q', '-e', '-c', command, '/dev/null'], { cwd: REPO_ROOT, env: { ...process.env, ...env, COLUMNS: '120' }, stdio: ['pipe', 'pipe', 'pipe'] })
    let screen = ''
    child.stdout.on('data', (d) => (screen += d))
    child.stderr.on('data', (d) => (screen += d))
    child.on('error', reject)
    child.on('close', (code) => resolve({ code: code ?? -1, screen }))
    child.stdin.end()
  })
}

describe('watchpost upload', () => {
  let svc: TestService
  let key: string
  let env: Record<string, string>

  beforeAll(async () => {
    svc = await startTestService()
    key = (await createTestTenant(svc.databaseUrl, 'cli-upload')).apiKey
    await graphql(svc.url, key, 'mutation ($y: String!) { importRules(yaml: $y) { rules { id } } }', { y: SEED_RULE_YAML })
    env = { WATCHPOST_URL: svc.url, WATCHPOST_API_KEY: key }
  })
  afterAll(async () => {
    await svc?.close()
  })

  it('sends a file, waits for it, prints its result with the errors and their lines, and exits 0', async () => {
    const { code, stdout, stderr } = await runCli(['upload', NGROK], { env })
    expect(stderr).toMatch(/sysmon\/ngrok-synthetic\.xml: uploaded \(\d+(\.\d)? KB\) as [0-9a-f-]{36}/)
    expect(stderr).toMatch(/SUCCEEDED_WITH_ERRORS/)
    expect(stdout).toMatch(/^test\/fixtures\/logs\/sysmon\/ngrok-synthetic\.xml: SUCCEEDED_WITH_ERRORS, 39 events \(36 process creations\), 3 skipped, 4 detections, 1 unreadable \(upload [0-9a-f-]{36}\)\n {2}line 30: unexpected end of XML/)
    expect(code).toBe(0)
    // Not a terminal: plain lines only, and never the key.
    expect(stderr).not.toMatch(ESCAPES)
    expect(stdout + stderr).not.toContain(key)
  })

  it('--json gives every file its result and exits 1 when one failed', async () => {
    const { code, stdout } = await runCli(['upload', '--json', NGROK, EMPTY], { env })
    expect(code).toBe(1)
    const { uploads } = JSON.parse(stdout)
    expect(uploads).toHaveLength(2)
    expect(uploads[0]).toMatchObject({ file: NGROK, status: 'SUCCEEDED_WITH_ERRORS', eventCount: 39, processEvents: 36, skipped: 3, errorCount: 1, errors: [{ line: 30 }] })
    // The same events again: stored once, so no new detection rows beyond the existing groups.
    expect(typeof uploads[0].detectionRows).toBe('number')
    expect(uploads[1]).toMatchObject({ file: EMPTY, status: 'FAILED', failureReason: 'the upload is empty (0 bytes)', sizeBytes: 0 })
    const stored = await graphql<any>(svc.url, key, `query ($id: ID!) { upload(id: $id) { status } }`, { id: uploads[1].id })
    expect(stored.data.upload.status).toBe('FAILED')
  })

  it('sends every file of a folder (an EVTX file among them), each its own upload', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'wp-upload-dir-'))
    try {
      await mkdir(join(dir, 'dc01'))
      await writeFile(join(dir, 'dc01', 'Security.evtx'), await readFile(join(REPO_ROOT, 'test/fixtures/logs/security-4688/evtx-to-mitre-attack-rdp-hijack.evtx')))
      await writeFile(join(dir, 'ws.xml'), await readFile(join(REPO_ROOT, NGROK)))
      await writeFile(join(dir, '.DS_Store'), 'finder noise')
      const { code, stdout } = await runCli(['upload', '--json', dir], { env })
      expect(code).toBe(0)
      const { uploads } = JSON.parse(stdout)
      expect(uploads.map((u: { file: string }) => u.file)).toEqual([join(dir, 'dc01', 'Security.evtx'), join(dir, 'ws.xml')])
      expect(uploads[0]).toMatchObject({ status: 'SUCCEEDED', eventCount: 14, processEvents: 12, errorCount: 0 })
      expect(uploads[1]).toMatchObject({ status: 'SUCCEEDED_WITH_ERRORS', processEvents: 36 })
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })

  it('takes --server and --key as options, never printing the key, and --no-wait returns once accepted', async () => {
    const { code, stdout, stderr } = await runCli(['upload', '--no-wait', '--server', svc.url, '--key', key, NGROK], { env: { WATCHPOST_URL: '', WATCHPOST_API_KEY: '' } })
    expect(code).toBe(0)
    expect(stdout).toMatch(/^test\/fixtures\/logs\/sysmon\/ngrok-synthetic\.xml: QUEUED as [0-9a-f-]{36} \(\d/)
    expect(stdout + stderr).not.toContain(key)
  })

  it('reports a refused key without printing it and exits 1', async () => {
    const bad = `${key.slice(0, -4)}xxxx`
    const { code, stdout, stderr } = await runCli(['upload', NGROK, EMPTY], { env: { ...env, WATCHPOST_API_KEY: bad } })
    expect(code).toBe(1)
    expect(stdout).toMatch(/^test\/fixtures\/logs\/sysmon\/ngrok-synthetic\.xml: REFUSED UNAUTHENTICATED: invalid or expired API key\n$/)
    expect(stdout + stderr).not.toContain(bad)
  })

  it('says what is missing when there is no server, key or file', async () => {
    const noServer = await runCli(['upload', NGROK], { env: { WATCHPOST_URL: '', WATCHPOST_API_KEY: key } })
    expect(noServer.code).toBe(2)
    expect(noServer.stderr).toMatch(/--server URL or WATCHPOST_URL/)
    const noKey = await runCli(['upload', NGROK], { env: { WATCHPOST_URL: svc.url, WATCHPOST_API_KEY: '' } })
    expect(noKey.code).toBe(2)
    expect(noKey.stderr).toMatch(/WATCHPOST_API_KEY or --key/)
    expect((await runCli(['upload'], { env })).code).toBe(2)
    const missing = await runCli(['upload', '/nonexistent/x.xml'], { env })
    expect(missing).toMatchObject({ code: 1, stderr: 'watchpost: upload: cannot read /nonexistent/x.xml\n' })
  })

  it('draws progress bars on a terminal', async () => {
    const { code, screen } = await runInTerminal(['upload', NGROK], env)
    expect(code).toBe(0)
    expect(screen).toMatch(/\rUploading ngrok-synthetic\.xml \[#+-*\] +\d+%/)
    expect(screen).toMatch(/\x1b\[K/)
    expect(screen).toMatch(/ngrok-synthetic\.xml: SUCCEEDED_WITH_ERRORS, 39 events/)
  })
})

describe('watchpost scan progress', () => {
  let dir: string
  let big: string
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'watchpost-scan-progress-'))
    big = join(dir, 'big.xml')
    await writeFile(big, syntheticLog({ source: 'sysmon-xml', events: 20_000, seed: 3, firstId: 1 }))
  })
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('shows a bar with bytes and events/s on a terminal, and leaves the output clean', async () => {
    // From the start: how long the scan takes depends on the machine, and a quick one shows no bar.
    const { code, screen } = await runInTerminal(['scan', '--format', 'table', big], { WATCHPOST_PROGRESS_DELAY_MS: '0' })
    expect(code).toBe(0)
    expect(screen).toMatch(/\rScanning \[#*-*\] +\d+% +[\d.]+ MB\/[\d.]+ MB +[\d,]+ events\/s/)
    // The bar is erased before the results are printed.
    const afterBar = screen.slice(screen.lastIndexOf('\r\x1b[K') + 4)
    expect(afterBar).not.toMatch(/Scanning/)
    expect(afterBar).toMatch(/Windows Ngrok Reverse Proxy Usage/)
  })

  it('shows none when standard error is not a terminal', async () => {
    const { code, stdout, stderr } = await runCli(['scan', big])
    expect(code).toBe(0)
    expect(stderr).toBe('')
    expect(JSON.parse(stdout).stats.events).toBe(20_000)
  })
})
