import { mkdir, mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { fixturePath, keySecret, lineOffset, readFixture, SEED_RULE_YAML } from '../helpers/fixtures.js'
import { HELP } from '../../src/cli/command-help.js'
import { runCli } from '../helpers/run-cli.js'
import { createTestDatabase } from '../helpers/test-database.js'

// The `watchpost` command as users run it: a child process, real files, real Postgres.

const SYSMON = fixturePath('logs/sysmon/ngrok-synthetic.xml').pathname

describe('watchpost scan (offline)', () => {
  it('prints the grouped detections and stats as the documented JSON', async () => {
    const { code, stdout, stderr } = await runCli(['scan', '--rules', 'src/rules/escu', SYSMON])
    expect(stderr).toBe('')
    expect(code).toBe(0)
    const out = JSON.parse(stdout)
    expect(Object.keys(out)).toEqual(['detections', 'stats'])
    expect(out.detections).toHaveLength(4)
    const d = out.detections.find((x: { fields: { user: string } }) => x.fields.user === 'dave')
    expect(Object.keys(d)).toEqual(['rule', 'fields', 'count', 'firstTime', 'lastTime', 'risk', 'threatObjects', 'mitre'])
    expect(d).toMatchObject({
      rule: { id: 'e2549f2c-0aef-408a-b0c1-e0f270623436', name: 'Windows Ngrok Reverse Proxy Usage' },
      count: 2,
      firstTime: '2026-03-16T14:05:09',
      lastTime: '2026-03-16T14:05:10',
      risk: [
        { object: 'dave', type: 'user', score: 20, message: 'A reverse proxy was identified spawning from powershell.exe -  ngrok.exe on endpoint WS-DEV04.corp.example.com by user dave.' },
        { object: 'WS-DEV04.corp.example.com', type: 'system', score: 20, message: 'A reverse proxy was identified spawning from powershell.exe -  ngrok.exe on endpoint WS-DEV04.corp.example.com by user dave.' },
      ],
      threatObjects: [
        { value: 'powershell.exe', type: 'parent_process_name' },
        { value: 'ngrok.exe', type: 'process_name' },
      ],
      mitre: [
        { id: 'T1572', name: 'Protocol Tunneling', tactics: ['Command And Control'] },
        { id: 'T1090', name: 'Proxy', tactics: ['Command And Control'] },
        { id: 'T1102', name: 'Web Service', tactics: ['Command And Control'] },
      ],
    })
    expect(out.stats).toMatchObject({ events: 39, processEvents: 36, skipped: 3 })
    expect(out.stats.skippedByKind).toEqual({ 'sysmon:3': 2, 'sysmon:11': 1 })
    expect(out.stats.errors).toEqual([{ file: SYSMON, line: 30, offset: lineOffset(readFixture('logs/sysmon/ngrok-synthetic.xml'), 30), message: 'unexpected end of XML: <Event> not closed (a new <Event> starts on line 31)' }])
  })

  it('reads standard input with -, uses the bundled rules by default, and prints a table', async () => {
    const { code, stdout } = await runCli(['scan', '--format', 'table', '-'], { stdin: readFixture('logs/sysmon/ngrok-synthetic.xml') })
    expect(code).toBe(0)
    const lines = stdout.split('\n')
    expect(lines[0]).toMatch(/^rule\s+count\s+firstTime\s+lastTime\s+dest\s+user\s+process$/)
    expect(lines.filter((l) => l.startsWith('Windows Ngrok Reverse Proxy Usage'))).toHaveLength(4)
    expect(stdout).toContain('4 detection(s); 39 events read, 36 process events, 3 skipped, 1 error(s)')
  })

  it('applies a tenant filter macro given with the rules, after grouping', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'wp-rules-'))
    await writeFile(join(dir, 'rule.yml'), SEED_RULE_YAML)
    await writeFile(join(dir, 'filter.yml'), 'name: windows_ngrok_reverse_proxy_usage_filter\ndefinition: search user!=svc_tunnel\ndescription: tenant exception\n')
    const { code, stdout } = await runCli(['scan', '--rules', join(dir, 'rule.yml'), join(dir, 'filter.yml'), SYSMON])
    expect(code).toBe(0)
    const users = JSON.parse(stdout).detections.map((d: { fields: { user: string } }) => d.fields.user).sort()
    expect(users).toEqual(['alice', 'alice', 'dave'])
  })

  it('reports a rule that does not parse with its position, and exits 1', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'wp-rules-'))
    await writeFile(join(dir, 'bad.yml'), SEED_RULE_YAML.replace('| `windows_ngrok_reverse_proxy_usage_filter`', '| `windows_ngrok_reverse_proxy_usage_filter`\n    | table dest'))
    const check = await runCli(['rules', 'check', join(dir, 'bad.yml'), 'src/rules/escu'])
    expect(check.code).toBe(1)
    expect(check.stdout).toMatch(/^error .*bad\.yml: Windows Ngrok Reverse Proxy Usage: search line 14, column 3: .*table/m)
    expect(check.stdout).toMatch(/^ok +src\/rules\/escu\/windows_ngrok_reverse_proxy_usage\.yml: Windows Ngrok Reverse Proxy Usage$/m)
    const scan = await runCli(['scan', '--rules', join(dir, 'bad.yml'), SYSMON])
    expect(scan.code).toBe(1)
    expect(scan.stderr).toMatch(/bad\.yml:14:3: Windows Ngrok Reverse Proxy Usage: .*table/)
  })

  it('scans a folder of logs — every file below it, hidden ones left out — also right after --rules folders', async () => {
    const logs = await mkdtemp(join(tmpdir(), 'wp-logs-'))
    await mkdir(join(logs, 'host-b'))
    await mkdir(join(logs, '.cache'))
    await writeFile(join(logs, 'host-a.xml'), readFixture('logs/sysmon/ngrok-synthetic.xml'))
    await writeFile(join(logs, 'host-b', 'security.evtx'), readFixture('logs/security-4688/evtx-to-mitre-attack-rdp-hijack.evtx'))
    await writeFile(join(logs, 'host-b', 'notes.txt'), 'not a log\n')
    await writeFile(join(logs, '.hidden.xml'), readFixture('logs/sysmon/ngrok-synthetic.xml'))
    await writeFile(join(logs, '.cache', 'x.xml'), readFixture('logs/sysmon/ngrok-synthetic.xml'))
    for (const args of [['scan', logs], ['scan', '--rules', 'src/rules/escu', logs]]) {
      const { code, stdout, stderr } = await runCli(args)
      expect(stderr).toBe('')
      expect(code).toBe(0)
      const out = JSON.parse(stdout)
      // The Sysmon fixture (39 events, 36 process creations) and the EVTX file (14 records, 12 process creations).
      expect(out.stats).toMatchObject({ events: 39 + 14, processEvents: 36 + 12 })
      expect(out.detections).toHaveLength(4)
      expect([...new Set(out.stats.errors.map((e: { file: string }) => e.file))]).toEqual([join(logs, 'host-a.xml'), join(logs, 'host-b', 'notes.txt')])
    }
    const empty = await mkdtemp(join(tmpdir(), 'wp-empty-'))
    const none = await runCli(['scan', empty])
    expect(none.code).toBe(1)
    expect(none.stderr).toContain(`scan: log folder ${empty} holds no files`)
  })

  it('scans a ZIP archive as published — alone, from standard input and inside a folder — each file of it as a file', async () => {
    const zip = fileURLToPath(fixturePath('logs/archives/case-42.info-zip.zip'))
    const alone = await runCli(['scan', '--format', 'json', zip])
    expect(alone.code).toBe(0)
    const out = JSON.parse(alone.stdout)
    // The three files read one by one: Sysmon XML (39 events, 36 process creations), CrowdStrike
    // JSON (8 events, 6 process creations) and EVTX (14 records, 12 process creations).
    const files = ['sysmon/ngrok-synthetic.xml', 'crowdstrike/ngrok-synthetic.ndjson', 'security-4688/evtx-to-mitre-attack-rdp-hijack.evtx'].map((f) => fileURLToPath(fixturePath(`logs/${f}`)))
    const separate = JSON.parse((await runCli(['scan', '--format', 'json', ...files])).stdout)
    expect(out.detections).toEqual(separate.detections)
    expect(out.stats).toMatchObject({ events: separate.stats.events, processEvents: separate.stats.processEvents })
    // The Sysmon fixture's deliberate error, named by its file inside the archive.
    expect(out.stats.errors).toEqual([{ file: zip, line: 30, offset: expect.any(Number), message: expect.stringMatching(/^entry case-42\/sysmon\/ngrok-synthetic\.xml: unexpected end of XML/) }])
    const piped = await runCli(['scan', '-'], { stdin: readFixture('logs/archives/case-42.info-zip-streamed.zip') })
    expect(JSON.parse(piped.stdout).detections).toEqual(out.detections)
    const folder = await mkdtemp(join(tmpdir(), 'wp-zips-'))
    await writeFile(join(folder, 'case-42.zip'), readFixture('logs/archives/case-42.info-zip.zip'))
    await writeFile(join(folder, 'host-c.xml'), readFixture('logs/security-4688/ngrok-synthetic.xml'))
    const both = JSON.parse((await runCli(['scan', folder])).stdout)
    const hostC = JSON.parse((await runCli(['scan', fileURLToPath(fixturePath('logs/security-4688/ngrok-synthetic.xml'))])).stdout)
    expect(both.stats.processEvents).toBe(out.stats.processEvents + hostC.stats.processEvents)
  })

  it('every command says what it does with --help, -h or help COMMAND (exit 0, standard output, no service needed)', async () => {
    // Every command once (each a process of its own, so in parallel); the other spellings on two.
    const asked = [...Object.keys(HELP).map((name) => [name, '--help']), ['scan', '-h'], ['help', 'scan'], ['tenant', 'create', '-h'], ['help', 'tenant']]
    const answers = await Promise.all(asked.map((args) => runCli(args, { env: { DATABASE_URL: '', REDIS_URL: '' } })))
    answers.forEach((res, i) => {
      const args = asked[i]!
      const name = args[0] === 'help' ? args[1]! : args[0]!
      expect({ args, ...res }).toEqual({ args, code: 0, stdout: `${HELP[name]}\n`, stderr: '' })
    })
    // Anywhere before `--`: after it, `--help` is a file name.
    expect((await runCli(['scan', '--format', 'table', '--help'])).stdout).toBe(`${HELP.scan}\n`)
    const file = await runCli(['scan', '--', '--help'])
    expect([file.code, file.stderr]).toEqual([1, 'watchpost: scan: cannot read log file --help\n'])
    // The usage line of a usage error is the help's first line.
    expect((await runCli(['scan'])).stderr).toBe(`watchpost: ${HELP.scan!.split('\n')[0]}\n`)
    expect((await runCli(['--help'])).stdout).toContain('watchpost <command> --help (or watchpost help <command>) says more of each.')
  })

  it('explains usage errors with exit status 2', async () => {
    expect((await runCli(['scan'])).code).toBe(2)
    expect((await runCli(['scan', '--format', 'xml', SYSMON])).stderr).toContain('--format must be json or table')
    expect((await runCli(['frobnicate'])).code).toBe(2)
  })
})

describe('watchpost migrate and tenant create', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>
  let fresh: string
  beforeAll(async () => {
    db = await createTestDatabase()
    const u = new URL(db.url)
    fresh = `${db.name}_fresh`
    u.pathname = `/${fresh}`
    fresh = u.toString()
  })
  afterAll(async () => {
    const admin = new pg.Client({ connectionString: db.url })
    await admin.connect()
    await admin.query(`DROP DATABASE IF EXISTS "${new URL(fresh).pathname.slice(1)}" WITH (FORCE)`)
    await admin.end()
    await db?.drop()
  })

  it('creates and migrates a missing database, then is idempotent', async () => {
    const first = await runCli(['migrate'], { env: { DATABASE_URL: fresh } })
    expect(first.code).toBe(0)
    expect(first.stdout).toMatch(/^created database .*\napplied 20261127000000_init\n/)
    const again = await runCli(['migrate'], { env: { DATABASE_URL: fresh } })
    expect(again.stdout).toMatch(/database is up to date/)
  })

  it('prints exactly {"tenant":{"id","name"},"apiKey"} with --json, and refuses a duplicate name', async () => {
    const { code, stdout } = await runCli(['tenant', 'create', 'acme', '--json'], { env: { DATABASE_URL: db.url } })
    expect(code).toBe(0)
    const out = JSON.parse(stdout)
    expect(Object.keys(out)).toEqual(['tenant', 'apiKey'])
    expect(Object.keys(out.tenant)).toEqual(['id', 'name'])
    expect(out.tenant.name).toBe('acme')
    expect(out.apiKey).toMatch(/^wp_[a-z0-9]{10}_[A-Za-z0-9_-]{32}$/)
    const client = new pg.Client({ connectionString: db.url })
    await client.connect()
    const { rows } = await client.query('SELECT prefix, hash, role FROM api_keys WHERE tenant_id = $1', [out.tenant.id])
    await client.end()
    expect(rows).toHaveLength(1)
    expect(rows[0].role).toBe('admin')
    expect(JSON.stringify(rows)).not.toContain(keySecret(out.apiKey))
    const dup = await runCli(['tenant', 'create', 'acme'], { env: { DATABASE_URL: db.url } })
    expect(dup.code).toBe(1)
    expect(dup.stderr).toContain('a tenant named "acme" already exists')
  })

  it('manages API keys and tenants from the shell', async () => {
    const env = { DATABASE_URL: db.url }
    await runCli(['tenant', 'create', 'shell-co'], { env })
    const created = await runCli(['apikey', 'create', '--tenant', 'shell-co', '--name', 'ci', '--role', 'ingest', '--json'], { env })
    expect(created.code).toBe(0)
    const key = JSON.parse(created.stdout)
    expect(key).toMatchObject({ role: 'ingest' })
    expect(key.apiKey).toMatch(new RegExp(`^wp_${key.prefix}_`))
    const listed = await runCli(['apikey', 'list', '--tenant', 'shell-co'], { env })
    expect(listed.stdout).toMatch(new RegExp(`^${key.id}  wp_${key.prefix}_…  ingest   ci$`, 'm'))
    expect(listed.stdout).not.toContain(key.apiKey)
    expect((await runCli(['apikey', 'revoke', '--tenant', 'shell-co', key.id], { env })).stdout).toBe(`revoked ${key.id}\n`)
    expect((await runCli(['apikey', 'list', '--tenant', 'shell-co'], { env })).stdout).toMatch(/ci  \(revoked\)$/m)
    const badRole = await runCli(['apikey', 'create', '--tenant', 'shell-co', '--name', 'x', '--role', 'boss'], { env })
    expect(badRole).toMatchObject({ code: 1 })
    expect(badRole.stderr).toContain('role must be one of admin, analyst, ingest, reader')
    expect((await runCli(['tenant', 'suspend', 'shell-co'], { env })).stdout).toBe('tenant shell-co suspended\n')
    expect(JSON.parse((await runCli(['tenant', 'list', '--json'], { env })).stdout)).toContainEqual(expect.objectContaining({ name: 'shell-co', status: 'SUSPENDED' }))
    expect((await runCli(['tenant', 'delete', 'shell-co'], { env })).stdout).toBe('tenant shell-co deleted with all its data\n')
    expect((await runCli(['tenant', 'delete', 'shell-co'], { env })).stderr).toContain('no tenant named "shell-co"')
  })

  it('rejects an invalid environment naming the variable', async () => {
    const { code, stderr } = await runCli(['migrate'], { env: { DATABASE_URL: 'not a url' } })
    expect(code).toBe(1)
    expect(stderr).toContain('DATABASE_URL')
  })
})

