import { existsSync, readFileSync, readdirSync } from 'node:fs'
import { fileURLToPath, pathToFileURL } from 'node:url'
import {
  DetectionAggregator,
  applyCimDataModel,
  compileRule,
  createMacroSet,
  parseRuleDocuments,
  type CompiledRule,
  type ExtractedProcessFields,
  type MacroDefinition,
  type ProcessEvent,
  type RuleDefinition,
} from '../../src/detection/index.js'
import { detach as detachFromLine } from '../../src/ingest/detach.js'
import { mulberry32 as prng } from '../unit/ingest/helpers/synthetic-sysmon.js'

/**
 * Benchmark for the issue "Many rules at once stay fast": evaluation throughput (events/s through
 * DetectionAggregator.add) with the single ngrok rule and with all 300 ESCU corpus rules, over the
 * same generated events, in one process. Not a unit test: run it with
 * `npx tsx test/bench/rule-scaling.ts [events] [--naive]`, or call measureRuleScaling.
 *
 * The events imitate a fleet's Sysmon process creations: mostly benign system and application
 * processes (svchost, browsers, conhost, Office, developer tools), shells with ordinary command
 * lines, ngrok in 1% of events, a sprinkle of admin tools and Linux hosts. Each event has strings
 * of its own, as ingested events do, rather than sharing its template's.
 */

/** Options of measureRuleScaling; every field has a default. */
export interface RuleScalingOptions {
  /** Number of generated events (default 200_000). */
  readonly events?: number
  /** Timed runs per rule set, after one warm-up run; the median is reported (default 3). */
  readonly runs?: number
  /** PRNG seed of the event generator (default 1). */
  readonly seed?: number
  /** The ESCU corpus folder (default `../shared/datasets/escu-endpoint-processes/` from the repo root). */
  readonly corpusDir?: URL
  /** Also measure both rule sets with the prefilter off — every rule on every event (default false; slow). */
  readonly naive?: boolean
}

/** Throughput of one rule set. */
export interface RuleSetFigure {
  readonly rules: number
  /** Median events per second over the timed runs. */
  readonly eventsPerSecond: number
  /** Every timed run, in events per second. */
  readonly runs: readonly number[]
  /** Grouped rows produced (a check that the rules do fire, and agree across modes). */
  readonly rows: number
}

/** The figures of one benchmark run. */
export interface RuleScalingResult {
  readonly events: number
  readonly oneRule: RuleSetFigure
  readonly allRules: RuleSetFigure
  /** allRules.eventsPerSecond / oneRule.eventsPerSecond (the target: ≥ 0.5). */
  readonly ratio: number
  /** The same with the prefilter off, when asked for. */
  readonly naive?: { readonly oneRule: RuleSetFigure; readonly allRules: RuleSetFigure }
}

const REPO_ROOT = new URL('../../', import.meta.url)
export const DEFAULT_CORPUS = new URL('../shared/datasets/escu-endpoint-processes/', REPO_ROOT)

/** Runs the benchmark and returns its figures; throws when the corpus folder is missing. */
export function measureRuleScaling(opts: RuleScalingOptions = {}): RuleScalingResult {
  const runs = opts.runs ?? 3
  const corpus = opts.corpusDir ?? DEFAULT_CORPUS
  if (!existsSync(fileURLToPath(corpus))) throw new Error(`ESCU corpus not found at ${fileURLToPath(corpus)}`)
  const all = loadCorpusRules(corpus)
  const ngrok = all.filter((r) => r.rule.name === 'Windows Ngrok Reverse Proxy Usage')
  if (ngrok.length !== 1) throw new Error('the corpus has no "Windows Ngrok Reverse Proxy Usage" rule')
  const events = generateEvents(opts.events ?? 200_000, opts.seed ?? 1)
  const [oneRule, allRules] = measurePair(ngrok, all, events, runs, true)
  const result = { events: events.length, oneRule, allRules, ratio: allRules.eventsPerSecond / oneRule.eventsPerSecond }
  if (opts.naive !== true) return result
  const [naiveOne, naiveAll] = measurePair(ngrok, all, events, runs, false)
  return { ...result, naive: { oneRule: naiveOne, allRules: naiveAll } }
}

/** Both rule sets, interleaved so that neither benefits from running later (JIT, heap state). */
function measurePair(a: readonly CompiledRule[], b: readonly CompiledRule[], events: readonly ProcessEvent[], runs: number, prefilter: boolean): [RuleSetFigure, RuleSetFigure] {
  const times: [number[], number[]] = [[], []]
  const rows = [0, 0]
  for (let i = 0; i <= runs; i++) {
    ;[a, b].forEach((rules, k) => {
      const run = measure(rules, events, prefilter)
      if (i > 0) times[k]!.push(run.eventsPerSecond)
      rows[k] = run.rows
    })
  }
  const figure = (rules: readonly CompiledRule[], k: number): RuleSetFigure => ({ rules: rules.length, eventsPerSecond: median(times[k]!), runs: times[k]!, rows: rows[k]! })
  return [figure(a, 0), figure(b, 1)]
}

/** One pass; only the adding is timed. */
function measure(rules: readonly CompiledRule[], events: readonly ProcessEvent[], prefilter: boolean): { eventsPerSecond: number; rows: number } {
  const agg = new DetectionAggregator(rules, { prefilter })
  const start = performance.now()
  for (const e of events) agg.add(e)
  const seconds = (performance.now() - start) / 1000
  return { eventsPerSecond: events.length / seconds, rows: agg.rows().length }
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2
}

function yamlFiles(dir: URL): URL[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? yamlFiles(new URL(`${e.name}/`, dir)) : e.name.endsWith('.yml') ? [new URL(e.name, dir)] : [],
  )
}

export function loadCorpusRules(corpus: URL): CompiledRule[] {
  const macros: MacroDefinition[] = []
  const rules: RuleDefinition[] = []
  for (const url of yamlFiles(new URL('macros/', corpus))) macros.push(...parseRuleDocuments(readFileSync(url, 'utf8')).macros)
  for (const url of yamlFiles(new URL('detections/', corpus))) rules.push(...parseRuleDocuments(readFileSync(url, 'utf8')).rules)
  const set = createMacroSet(macros)
  return rules.map((r) => compileRule(r, set))
}

// ---------------------------------------------------------------------------------------------
// Event generation

interface ProcessTemplate {
  /** Relative frequency. */
  readonly weight: number
  /** Image path; `%U` is replaced by the user name and `%N` by a random number. */
  readonly path: string
  readonly originalFileName: string | null
  readonly parents: readonly string[]
  readonly commandLines: readonly string[]
}

const tpl = (weight: number, path: string, originalFileName: string | null, parents: readonly string[], ...commandLines: string[]): ProcessTemplate => ({
  weight,
  path,
  originalFileName,
  parents,
  commandLines,
})

const SYS32 = 'C:\\Windows\\System32\\'
const SERVICES = `${SYS32}services.exe`
const SVCHOST = `${SYS32}svchost.exe`
const EXPLORER = 'C:\\Windows\\explorer.exe'
const CMD = `${SYS32}cmd.exe`
const POWERSHELL = `${SYS32}WindowsPowerShell\\v1.0\\powershell.exe`
const CHROME = 'C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe'
const EDGE = 'C:\\Program Files (x86)\\Microsoft\\Edge\\Application\\msedge.exe'
const VSCODE = 'C:\\Program Files\\Microsoft VS Code\\Code.exe'
const OFFICE = 'C:\\Program Files\\Microsoft Office\\root\\Office16\\'
const DEFENDER = 'C:\\ProgramData\\Microsoft\\Windows Defender\\Platform\\4.18.24030.9-0\\MpCmdRun.exe'

/** The command line each parent image was started with. */
const PARENT_COMMANDS: Readonly<Record<string, string>> = {
  [SERVICES]: 'C:\\Windows\\system32\\services.exe',
  [EXPLORER]: 'C:\\Windows\\Explorer.EXE',
  [SVCHOST]: 'C:\\Windows\\system32\\svchost.exe -k DcomLaunch -p',
  [CMD]: 'C:\\Windows\\system32\\cmd.exe /c "C:\\ProgramData\\deploy\\run.cmd"',
  [POWERSHELL]: 'powershell.exe -NoProfile -File C:\\scripts\\maintenance.ps1',
  [CHROME]: `"${CHROME}"`,
  [EDGE]: `"${EDGE}" --profile-directory=Default`,
  [VSCODE]: `"${VSCODE}"`,
  [`${SYS32}userinit.exe`]: 'C:\\Windows\\system32\\userinit.exe',
  '/usr/bin/bash': '-bash',
  '/usr/lib/systemd/systemd': '/sbin/init splash',
}

const RENDERER =
  '--type=renderer --display-capture-permissions-policy-allowed --lang=en-US --device-scale-factor=1 --num-raster-threads=4 --enable-main-frame-before-activation --renderer-client-id=%N --time-ticks-at-unix-epoch=-1712345678901234 --launch-time-ticks=%N --field-trial-handle=2040,i,1234567890123456789,9876543210987654321,262144 --variations-seed-version=20240412-050044.412000 /prefetch:1'

const TEMPLATES: readonly ProcessTemplate[] = [
  tpl(16, SVCHOST, 'svchost.exe', [SERVICES],
    'C:\\Windows\\system32\\svchost.exe -k netsvcs -p -s Schedule',
    'C:\\Windows\\system32\\svchost.exe -k LocalServiceNetworkRestricted -p -s EventLog',
    'C:\\Windows\\System32\\svchost.exe -k wsappx -p -s AppXSvc',
    'C:\\Windows\\system32\\svchost.exe -k UnistackSvcGroup -s WpnUserService_%N'),
  tpl(12, CHROME, 'chrome.exe', [CHROME, EXPLORER],
    `"${CHROME}" ${RENDERER}`,
    `"${CHROME}" --type=utility --utility-sub-type=network.mojom.NetworkService --lang=en-US --service-sandbox-type=none --mojo-platform-channel-handle=%N /prefetch:11`,
    `"${CHROME}" --type=gpu-process --gpu-preferences=WAAAAAAAAADgAAAMAAAAAAAAAAAAAAAAAABgAAAAAAA4AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA --mojo-platform-channel-handle=%N /prefetch:2`),
  tpl(6, EDGE, 'msedge.exe', [EDGE],
    `"${EDGE}" ${RENDERER}`,
    `"${EDGE}" --type=crashpad-handler --monitor-self-annotation=ptype=crashpad-handler --database=C:\\Users\\%U\\AppData\\Local\\Microsoft\\Edge\\User Data\\Crashpad`),
  tpl(8, `${SYS32}conhost.exe`, 'CONHOST.EXE', [CMD, POWERSHELL], '\\??\\C:\\Windows\\system32\\conhost.exe 0xffffffff -ForceV1', '\\??\\C:\\Windows\\system32\\conhost.exe'),
  tpl(7, CMD, 'Cmd.Exe', [EXPLORER, VSCODE, SVCHOST],
    'C:\\Windows\\system32\\cmd.exe /c "C:\\ProgramData\\deploy\\run.cmd"',
    'cmd.exe /c echo %N > C:\\Users\\%U\\AppData\\Local\\Temp\\build.txt',
    'C:\\Windows\\system32\\cmd.exe /d /s /c "npm run build"',
    'cmd /c dir C:\\Users\\%U\\Documents',
    'C:\\Windows\\system32\\cmd.exe /c git status --porcelain',
    '"C:\\Windows\\system32\\cmd.exe" /c ipconfig /all'),
  tpl(5, POWERSHELL, 'PowerShell.EXE', [EXPLORER, SVCHOST, CMD],
    'powershell.exe -NoProfile -ExecutionPolicy Bypass -File C:\\scripts\\backup.ps1',
    `"${POWERSHELL}" -NoLogo -NonInteractive -Command Get-Service | Where-Object Status -eq Running`,
    'powershell.exe -Command "Get-ChildItem C:\\Users\\%U\\Downloads | Measure-Object"',
    'powershell -ExecutionPolicy RemoteSigned -Command Import-Module PSReadLine'),
  tpl(3, `${SYS32}rundll32.exe`, 'RUNDLL32.EXE', [EXPLORER, SVCHOST],
    'C:\\Windows\\system32\\rundll32.exe C:\\Windows\\system32\\shell32.dll,Control_RunDLL',
    'rundll32.exe C:\\Windows\\System32\\LogiLDA.dll,LogiFetch',
    'C:\\Windows\\System32\\rundll32.exe C:\\Windows\\System32\\Windows.Storage.ApplicationData.dll,CleanupTemporaryState'),
  tpl(4, `${SYS32}taskhostw.exe`, 'taskhostw.exe', [SVCHOST], 'taskhostw.exe {222A245B-E637-4AE9-A93F-A59CA119A75E}', 'taskhostw.exe Install $(Arg0)'),
  tpl(4, `${SYS32}RuntimeBroker.exe`, 'RuntimeBroker.exe', [SVCHOST], 'C:\\Windows\\System32\\RuntimeBroker.exe -Embedding'),
  tpl(4, `${SYS32}SearchProtocolHost.exe`, 'SearchProtocolHost.exe', [SVCHOST],
    '"C:\\Windows\\system32\\SearchProtocolHost.exe" Global\\UsGthrFltPipeMssGthrPipe%N_ Global\\UsGthrCtrlFltPipeMssGthrPipe%N 1 -2147483646 "Software\\Microsoft\\Windows Search" "Mozilla/4.0 (compatible; MSIE 6.0; Windows NT; MS Search 4.0 Robot)" "C:\\ProgramData\\Microsoft\\Search\\Data\\Temp\\usgthrsvc" "DownLevelDaemon"'),
  tpl(3, `${SYS32}dllhost.exe`, 'dllhost.exe', [SVCHOST], 'C:\\Windows\\system32\\DllHost.exe /Processid:{AB8902B4-09CA-4BB6-B78D-A8F59079A8D5}'),
  tpl(3, `${SYS32}backgroundTaskHost.exe`, 'backgroundTaskHost.exe', [SVCHOST], '"C:\\Windows\\system32\\backgroundTaskHost.exe" -ServerName:BackgroundTaskHost.WebAccountProvider'),
  tpl(2, `${SYS32}wbem\\WmiPrvSE.exe`, 'Wmiprvse.exe', [SVCHOST], 'C:\\Windows\\system32\\wbem\\wmiprvse.exe -secured -Embedding'),
  tpl(4, 'C:\\Program Files\\Git\\cmd\\git.exe', 'git.exe', [VSCODE, CMD], 'git.exe status --porcelain=v2 --branch', 'git.exe fetch --all --prune', 'git.exe log -n 20 --format=%H'),
  tpl(3, 'C:\\Program Files\\nodejs\\node.exe', 'node.exe', [CMD, VSCODE], '"C:\\Program Files\\nodejs\\node.exe" C:\\work\\app\\node_modules\\vitest\\vitest.mjs run', 'node.exe server.js --port 3000'),
  tpl(3, `${OFFICE}OUTLOOK.EXE`, 'Outlook.exe', [EXPLORER], `"${OFFICE}OUTLOOK.EXE"`),
  tpl(2, `${OFFICE}WINWORD.EXE`, 'WinWord.exe', [EXPLORER], `"${OFFICE}WINWORD.EXE" /n "C:\\Users\\%U\\Documents\\report-%N.docx" /o ""`),
  tpl(2, DEFENDER, 'MpCmdRun.exe', [SVCHOST], `"${DEFENDER}" -wdenable`, 'MpCmdRun.exe -SignatureUpdate -ScheduleJob -RestrictPrivileges'),
  tpl(2, 'C:\\Users\\%U\\AppData\\Local\\Microsoft\\OneDrive\\OneDrive.exe', 'OneDrive.exe', [EXPLORER], '"C:\\Users\\%U\\AppData\\Local\\Microsoft\\OneDrive\\OneDrive.exe" /background'),
  tpl(1, EXPLORER, 'EXPLORER.EXE', [`${SYS32}userinit.exe`], 'C:\\Windows\\Explorer.EXE'),
  tpl(1, 'C:\\Users\\%U\\Downloads\\ngrok.exe', null, [CMD, POWERSHELL],
    'ngrok.exe tcp 3389', 'ngrok.exe http 8080 --log=stdout', 'ngrok.exe start --all --config C:\\Users\\%U\\ngrok.yml', 'ngrok.exe version'),
  // Administrative and reconnaissance tools, rarer than everyday processes.
  ...(
    [
      ['net.exe', 'net.exe', 'net.exe use Z: \\\\fileserver\\share', 'net user %U /domain', 'net localgroup administrators'],
      ['reg.exe', 'reg.exe', 'reg.exe query HKLM\\Software\\Microsoft\\Windows\\CurrentVersion\\Run', 'reg add HKCU\\Software\\Vendor /v Setting /t REG_DWORD /d 1 /f'],
      ['schtasks.exe', 'schtasks.exe', 'schtasks.exe /query /fo LIST', 'schtasks /create /tn "Backup" /tr C:\\scripts\\backup.cmd /sc daily /st 02:00'],
      ['whoami.exe', 'whoami.exe', 'whoami.exe', 'whoami /all'],
      ['certutil.exe', 'CertUtil.exe', 'certutil.exe -hashfile C:\\Users\\%U\\Downloads\\setup.exe SHA256', 'certutil -urlcache -split -f http://example.test/a.txt a.txt'],
      ['msiexec.exe', 'msiexec.exe', 'msiexec.exe /i C:\\Users\\%U\\Downloads\\installer.msi /qn'],
      ['sc.exe', 'sc.exe', 'sc.exe query wuauserv', 'sc config wuauserv start= auto'],
      ['tasklist.exe', 'tasklist.exe', 'tasklist /v /fo csv'],
      ['wmic.exe', 'wmic.exe', 'wmic.exe os get caption', 'wmic process list brief'],
      ['mshta.exe', 'MSHTA.EXE', 'mshta.exe vbscript:Close(Execute("CreateObject(""WScript.Shell"").Run ""notepad""")'],
      ['regsvr32.exe', 'REGSVR32.EXE', 'regsvr32.exe /s C:\\Program Files\\Vendor\\plugin.dll'],
      ['bitsadmin.exe', 'bitsadmin.exe', 'bitsadmin /list /allusers'],
    ] as const
  ).map(([name, ofn, ...lines]) => tpl(0.25, `${SYS32}${name}`, ofn, [CMD, POWERSHELL, EXPLORER], ...lines)),
  // Linux hosts of the same fleet (Sysmon for Linux).
  tpl(3, '/usr/bin/bash', null, ['/usr/lib/systemd/systemd', '/usr/bin/bash'], '/bin/bash -c ls -la /var/log', 'bash /opt/app/healthcheck.sh', '/usr/bin/bash --login'),
  tpl(2, '/usr/bin/python3.11', null, ['/usr/lib/systemd/systemd', '/usr/bin/bash'], '/usr/bin/python3 /usr/bin/unattended-upgrade --download-only', 'python3 -m http.server 8000'),
  tpl(1, '/usr/bin/sudo', null, ['/usr/bin/bash'], 'sudo systemctl restart nginx', 'sudo apt-get update', 'sudo -u postgres psql -c select 1'),
]

const USERS = ['alice', 'bob', 'carol', 'dave', 'svc_backup', 'SYSTEM'] as const
const HOSTS = Array.from({ length: 50 }, (_, i) => `ws-${String(i).padStart(3, '0')}.corp.example`)

/** `count` Sysmon-like events through the CIM data model, with seconds-apart timestamps. */
export function generateEvents(count: number, seed = 1): ProcessEvent[] {
  const rand = prng(seed)
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!
  const total = TEMPLATES.reduce((n, t) => n + t.weight, 0)
  const pickTemplate = (): ProcessTemplate => {
    let r = rand() * total
    for (const t of TEMPLATES) if ((r -= t.weight) < 0) return t
    return TEMPLATES[TEMPLATES.length - 1]!
  }
  const events: ProcessEvent[] = []
  const t0 = Date.UTC(2024, 11, 1)
  for (let i = 0; i < count; i++) {
    const t = pickTemplate()
    const user = pick(USERS)
    const fill = (s: string): string => s.replaceAll('%U', user).replaceAll('%N', String(Math.floor(rand() * 100_000)))
    const path = fill(t.path)
    const parentPath = pick(t.parents)
    const linux = path.startsWith('/')
    const raw: ExtractedProcessFields = {
      action: 'allowed',
      dest: pick(HOSTS),
      original_file_name: t.originalFileName,
      parent_process: PARENT_COMMANDS[parentPath] ?? parentPath,
      parent_process_exec: baseName(parentPath),
      parent_process_guid: `{${guid(rand)}}`,
      parent_process_id: String(Math.floor(rand() * 60_000)),
      parent_process_name: baseName(parentPath),
      parent_process_path: parentPath,
      process: fill(pick(t.commandLines)),
      process_exec: baseName(path),
      process_guid: `{${guid(rand)}}`,
      process_hash: `SHA256=${guid(rand).replaceAll('-', '')}`,
      process_id: String(Math.floor(rand() * 60_000)),
      process_integrity_level: linux ? null : pick(['Medium', 'Medium', 'High', 'System']),
      process_name: baseName(path),
      process_path: path,
      user: linux ? user : `CORP\\${user}`,
      user_id: null,
      vendor_product: linux ? 'Sysmon for Linux' : 'Microsoft Sysmon',
    }
    // Every event gets strings of its own, as the ingest normalizers produce them (parsed from its
    // line, then detached from it), instead of sharing its template's hot, already-hashed strings.
    const parsed = Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, typeof v === 'string' ? detach(v) : v])) as ExtractedProcessFields
    events.push(applyCimDataModel(t0 + i * 250, parsed, linux ? 'sysmon:linux' : 'xmlwineventlog'))
  }
  return events
}

/**
 * A copy of `s` as the ingest normalizers hold it: long values copied by src/ingest/detach.ts,
 * short ones fresh copies too, as the parsers' own substrings of them are.
 */
const detach = (s: string): string => (s.length < 13 ? `${s} `.slice(0, -1) : detachFromLine(s))

const baseName = (path: string): string => path.slice(Math.max(path.lastIndexOf('\\'), path.lastIndexOf('/')) + 1)

function guid(rand: () => number): string {
  const hex = (n: number): string =>
    Array.from({ length: n }, () =>
      Math.floor(rand() * 16)
        .toString(16)
        .toUpperCase(),
    ).join('')
  return `${hex(8)}-${hex(4)}-${hex(4)}-${hex(4)}-${hex(12)}`
}

// ---------------------------------------------------------------------------------------------

function formatTable(r: RuleScalingResult): string {
  const fmt = (n: number): string => Math.round(n).toLocaleString('en-US')
  const lines = [
    `Rule scaling over ${fmt(r.events)} events (median of ${r.oneRule.runs.length} runs after a warm-up)`,
    '',
    '| rules | prefilter | events/s | rows |',
    '| ---: | :---: | ---: | ---: |',
    `| ${r.oneRule.rules} (ngrok) | on | ${fmt(r.oneRule.eventsPerSecond)} | ${r.oneRule.rows} |`,
    `| ${r.allRules.rules} (ESCU corpus) | on | ${fmt(r.allRules.eventsPerSecond)} | ${r.allRules.rows} |`,
  ]
  if (r.naive !== undefined) {
    lines.push(`| ${r.naive.oneRule.rules} (ngrok) | off | ${fmt(r.naive.oneRule.eventsPerSecond)} | ${r.naive.oneRule.rows} |`)
    lines.push(`| ${r.naive.allRules.rules} (ESCU corpus) | off | ${fmt(r.naive.allRules.eventsPerSecond)} | ${r.naive.allRules.rows} |`)
  }
  lines.push('', `Ratio ${r.allRules.rules} rules / 1 rule: ${(r.ratio * 100).toFixed(1)}% (target ≥ 50%)`)
  return lines.join('\n')
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const args = process.argv.slice(2)
  const count = args.find((a) => /^\d+$/.test(a))
  console.log(formatTable(measureRuleScaling({ ...(count !== undefined ? { events: Number(count) } : {}), naive: args.includes('--naive') })))
}
