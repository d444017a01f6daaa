/**
 * Deterministic synthetic Sysmon EventID 1 lines in Splunk's XmlWinEventLog rendering (seeded
 * PRNG), for throughput runs and property tests. Realistic shape: the full System block, all
 * Sysmon v15 EventID 1 fields, Microsoft version info with `®` (so some lines decode as two-byte
 * strings, as in real data), entities in command lines, and about 0.5% ngrok (`ngrokRate`).
 */

export function mulberry32(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

type Image = { path: string; original: string; description: string; product: string; company: string; commands: string[] }

const MS = { product: 'Microsoft® Windows® Operating System', company: 'Microsoft Corporation' }
const IMAGES: Image[] = [
  { path: 'C:\\Windows\\System32\\cmd.exe', original: 'Cmd.Exe', description: 'Windows Command Processor', ...MS, commands: ['"C:\\Windows\\system32\\cmd.exe" /c "dir C:\\ & echo done" ', 'cmd.exe /c echo 1 > C:\\Temp\\out.txt'] },
  { path: 'C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe', original: 'PowerShell.EXE', description: 'Windows PowerShell', ...MS, commands: ['powershell.exe -NoProfile -Command "Get-Process | Where-Object {$_.CPU -gt 10}"', '"powershell.exe" -nop -w hidden -enc SQBFAFgAIAAoAE4AZQB3AC0ATwBiAGoAZQBjAHQAIABOAGUAdAAuAFcAZQBiAEMAbABpAGUAbgB0ACkA'] },
  { path: 'C:\\Windows\\System32\\svchost.exe', original: 'svchost.exe', description: 'Host Process for Windows Services', ...MS, commands: ['C:\\Windows\\system32\\svchost.exe -k netsvcs -p -s Schedule', 'C:\\Windows\\System32\\svchost.exe -k LocalServiceNetworkRestricted -p'] },
  { path: 'C:\\Windows\\System32\\conhost.exe', original: 'CONHOST.EXE', description: 'Console Window Host', ...MS, commands: ['\\??\\C:\\Windows\\system32\\conhost.exe 0xffffffff -ForceV1'] },
  { path: 'C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe', original: 'chrome.exe', description: 'Google Chrome', product: 'Google Chrome', company: 'Google LLC', commands: ['"C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe" --type=renderer --lang=en-US', '"chrome.exe" https://intranet.example.com/?a=1&b=2'] },
  { path: 'C:\\Windows\\System32\\reg.exe', original: 'reg.exe', description: 'Registry Console Tool', ...MS, commands: ['reg query "HKLM\\Software\\Microsoft\\Windows\\CurrentVersion\\Run" /v start'] },
  { path: 'C:\\Windows\\System32\\netsh.exe', original: 'netsh.exe', description: 'Network Command Shell', ...MS, commands: ['netsh advfirewall firewall add rule name="tcp 8080" dir=in action=allow protocol=tcp localport=8080'] },
  { path: 'C:\\Program Files\\Git\\usr\\bin\\ssh.exe', original: 'ssh.exe', description: '', product: '', company: '', commands: ['ssh.exe -o "ProxyCommand=<none>" git@example.com'] },
  { path: 'C:\\Windows\\System32\\whoami.exe', original: 'whoami.exe', description: 'whoami - displays logged on user information', ...MS, commands: ['whoami /all'] },
]
const NGROK: Image = { path: 'C:\\Users\\Public\\ngrok.exe', original: 'ngrok.exe', description: 'ngrok', product: 'ngrok agent', company: 'ngrok LLC', commands: ['ngrok.exe start --all --config C:\\Users\\Public\\ngrok.yml', 'ngrok.exe tcp 3389', 'ngrok.exe http 8080'] }
const PARENTS = [
  ['C:\\Windows\\explorer.exe', 'C:\\Windows\\Explorer.EXE'],
  ['C:\\Windows\\System32\\services.exe', 'C:\\Windows\\system32\\services.exe'],
  ['C:\\Windows\\System32\\cmd.exe', 'cmd.exe /c start.bat'],
  ['C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe', '"powershell.exe" -ExecutionPolicy Bypass'],
  ['C:\\Program Files\\SplunkUniversalForwarder\\bin\\splunkd.exe', '"C:\\Program Files\\SplunkUniversalForwarder\\bin\\splunkd.exe" service'],
]
const LEVELS = ['Medium', 'High', 'System', 'Low']

export function escapeXml(v: string, quote: "'" | '"'): string {
  return v.replace(/[&<>'"]/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : c !== quote ? c : c === '"' ? '&quot;' : '&apos;'))
}

export function syntheticSysmonLines(seed: number, count: number, quote: "'" | '"' = "'", ngrokRate = 0.005): string[] {
  const rnd = mulberry32(seed)
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!
  const hex = (n: number): string => Array.from({ length: n }, () => '0123456789ABCDEF'[Math.floor(rnd() * 16)]).join('')
  const guid = (): string => `{${hex(8)}-${hex(4)}-${hex(4)}-${hex(4)}-${hex(12)}}`
  const q = quote
  const lines: string[] = []
  let t = Date.UTC(2026, 2, 1)
  for (let i = 0; i < count; i++) {
    t += Math.floor(rnd() * 2000)
    const iso = new Date(t).toISOString()
    const img = rnd() < ngrokRate ? NGROK : pick(IMAGES)
    const [parentImage, parentCmd] = pick(PARENTS)
    const host = `WS-${Math.floor(rnd() * 400)}.corp.example.com`
    const user = rnd() < 0.1 ? 'NT AUTHORITY\\SYSTEM' : `CORP\\user${Math.floor(rnd() * 300)}`
    const data: [string, string][] = [
      ['RuleName', '-'], ['UtcTime', iso.replace('T', ' ').replace('Z', '')], ['ProcessGuid', guid()], ['ProcessId', String(1000 + Math.floor(rnd() * 60000))],
      ['Image', img.path], ['FileVersion', '10.0.22621.1 (WinBuild.160101.0800)'], ['Description', img.description], ['Product', img.product], ['Company', img.company],
      ['OriginalFileName', img.original], ['CommandLine', pick(img.commands)], ['CurrentDirectory', 'C:\\Users\\Public\\'], ['User', user],
      ['LogonGuid', guid()], ['LogonId', `0x${hex(6).toLowerCase()}`], ['TerminalSessionId', '1'], ['IntegrityLevel', pick(LEVELS)],
      ['Hashes', `SHA1=${hex(40)},MD5=${hex(32)},SHA256=${hex(64)},IMPHASH=${hex(32)}`], ['ParentProcessGuid', guid()],
      ['ParentProcessId', String(1000 + Math.floor(rnd() * 60000))], ['ParentImage', parentImage!], ['ParentCommandLine', parentCmd!], ['ParentUser', user],
    ]
    const system =
      `<System><Provider Name=${q}Microsoft-Windows-Sysmon${q} Guid=${q}{5770385F-C22A-43E0-BF4C-06F5698FFBD9}${q}/><EventID>1</EventID><Version>5</Version>` +
      `<Level>4</Level><Task>1</Task><Opcode>0</Opcode><Keywords>0x8000000000000000</Keywords><TimeCreated SystemTime=${q}${iso.replace('Z', '1234Z')}${q}/>` +
      `<EventRecordID>${100000 + i}</EventRecordID><Correlation/><Execution ProcessID=${q}3160${q} ThreadID=${q}4212${q}/>` +
      `<Channel>Microsoft-Windows-Sysmon/Operational</Channel><Computer>${host}</Computer><Security UserID=${q}S-1-5-18${q}/></System>`
    const eventData = data.map(([k, v]) => `<Data Name=${q}${k}${q}>${escapeXml(v, q)}</Data>`).join('')
    lines.push(`<Event xmlns=${q}http://schemas.microsoft.com/win/2004/08/events/event${q}>${system}<EventData>${eventData}</EventData></Event>`)
  }
  return lines
}
