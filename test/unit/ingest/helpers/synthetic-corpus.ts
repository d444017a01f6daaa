import { parseRegularLine } from '../../../../src/ingest/xml/fast-path.js'
import { escapeXml, mulberry32, syntheticSysmonLines } from './synthetic-sysmon.js'

/**
 * Deterministic synthetic corpora of the other sources, for the throughput benchmark
 * (test/bench/parse-throughput.ts): Security 4688 in Splunk's XmlWinEventLog rendering,
 * CrowdStrike FDR ProcessRollup2 lines shaped like ESCU's example (all values strings, ~45
 * fields), and Winlogbeat 8 documents of the synthetic Sysmon events. `ngrokRate` of the events
 * run ngrok. Each generator returns lines without their newline.
 */

const NS = 'http://schemas.microsoft.com/win/2004/08/events/event'
const IMAGES = [
  ['C:\\Windows\\System32\\cmd.exe', 'cmd.exe /c "dir C:\\ & echo done"'],
  ['C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe', '"C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe" -NoProfile -Command Get-Process'],
  ['C:\\Windows\\System32\\svchost.exe', 'C:\\Windows\\system32\\svchost.exe -k netsvcs -p -s Schedule'],
  ['C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe', '"C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe" --type=renderer --lang=en-US'],
  ['C:\\Windows\\System32\\whoami.exe', 'whoami /all'],
  ['C:\\Windows\\System32\\netsh.exe', 'netsh advfirewall firewall add rule name="tcp 8080" dir=in action=allow protocol=tcp'],
] as const
const NGROK = ['C:\\Users\\Public\\ngrok.exe', 'ngrok.exe tcp 3389'] as const
const PARENTS = ['C:\\Windows\\explorer.exe', 'C:\\Windows\\System32\\services.exe', 'C:\\Program Files\\SplunkUniversalForwarder\\bin\\splunkd.exe']

function picker(seed: number) {
  const rnd = mulberry32(seed)
  return {
    rnd,
    pick: <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!,
    hex: (n: number): string => Array.from({ length: n }, () => '0123456789abcdef'[Math.floor(rnd() * 16)]).join(''),
    int: (lo: number, hi: number): number => lo + Math.floor(rnd() * (hi - lo)),
  }
}

export function synthetic4688Lines(seed: number, count: number, ngrokRate = 0.01): string[] {
  const { rnd, pick, hex, int } = picker(seed)
  let t = Date.UTC(2026, 2, 1)
  return Array.from({ length: count }, (_, i) => {
    t += int(0, 2000)
    const [image, command] = rnd() < ngrokRate ? NGROK : pick(IMAGES)
    const host = `WS-${int(0, 400)}.corp.example.com`
    const user = `user${int(0, 300)}`
    const data: [string, string][] = [
      ['SubjectUserSid', `S-1-5-21-3623811015-3361044348-30300820-${int(1000, 5000)}`], ['SubjectUserName', user], ['SubjectDomainName', 'CORP'],
      ['SubjectLogonId', `0x${hex(5)}`], ['NewProcessId', `0x${hex(4)}`], ['NewProcessName', image], ['TokenElevationType', '%%1938'],
      ['ProcessId', `0x${hex(4)}`], ['CommandLine', command], ['TargetUserSid', 'S-1-0-0'], ['TargetUserName', '-'], ['TargetDomainName', '-'],
      ['TargetLogonId', '0x0'], ['ParentProcessName', pick(PARENTS)], ['MandatoryLabel', 'Mandatory Label\\Medium Mandatory Level'],
    ]
    const system =
      `<System><Provider Name='Microsoft-Windows-Security-Auditing' Guid='{54849625-5478-4994-A5BA-3E3B0328C30D}'/><EventID>4688</EventID><Version>2</Version>` +
      `<Level>0</Level><Task>13312</Task><Opcode>0</Opcode><Keywords>0x8020000000000000</Keywords><TimeCreated SystemTime='${new Date(t).toISOString().replace('Z', '1234Z')}'/>` +
      `<EventRecordID>${1_000_000 + i}</EventRecordID><Correlation/><Execution ProcessID='4' ThreadID='${int(100, 9000)}'/><Channel>Security</Channel><Computer>${host}</Computer><Security/></System>`
    return `<Event xmlns='${NS}'>${system}<EventData>${data.map(([k, v]) => `<Data Name='${k}'>${escapeXml(v, "'")}</Data>`).join('')}</EventData></Event>`
  })
}

export function syntheticCrowdStrikeLines(seed: number, count: number, ngrokRate = 0.01): string[] {
  const { rnd, pick, hex, int } = picker(seed)
  let t = Date.UTC(2026, 2, 1)
  return Array.from({ length: count }, () => {
    t += int(0, 2000)
    const [image, command] = rnd() < ngrokRate ? NGROK : pick(IMAGES)
    const device = `\\Device\\HarddiskVolume3${image.slice(2)}`
    return JSON.stringify({
      LinkName: '', ProcessCreateFlags: String(int(0, 1e8)), IntegrityLevel: pick(['8192', '12288', '16384']), ParentProcessId: String(int(1e9, 9e9)),
      SourceProcessId: String(int(1e9, 9e9)), aip: `89.160.20.${int(1, 255)}`, SHA1HashData: '0'.repeat(40), UserSid: `S-1-5-21-586445407-708991241-1829972403-${int(500, 3000)}`,
      event_platform: 'Win', TokenType: '1', ProcessEndTime: '', AuthenticodeHashData: hex(40), ParentBaseFileName: pick(PARENTS).split('\\').at(-1),
      EventOrigin: '1', ImageSubsystem: '3', id: `${hex(8)}-${hex(4)}-${hex(4)}-${hex(4)}-${hex(12)}`, EffectiveTransmissionClass: '3', SessionId: String(int(0, 5)),
      ShowWindowFlags: '1', Tags: '27, 40, 151, 874, 924, 12094627905582', timestamp: String(t), event_simpleName: 'ProcessRollup2', RawProcessId: String(int(100, 60000)),
      ConfigStateHash: String(int(1e8, 9e8)), MD5HashData: hex(32), SHA256HashData: hex(64), ProcessSxsFlags: '64', AuthenticationId: String(int(1e5, 9e6)),
      ConfigBuild: '1007.3.0018207.1', WindowFlags: '3073', CommandLine: command, ParentAuthenticationId: String(int(1e5, 9e6)), TargetProcessId: String(int(1e9, 9e9)),
      ImageFileName: device, SourceThreadId: String(int(1e10, 9e10)), Entitlements: '15', name: 'ProcessRollup2V19', ProcessStartTime: (t / 1000).toFixed(3),
      ProcessParameterFlags: '24577', aid: hex(32), SignInfoFlags: '8683538', cid: hex(32),
    })
  })
}

/** Winlogbeat 8 documents (`winlog.*`, `@timestamp`) of synthetic Sysmon EventID 1 events. */
export function syntheticWinlogbeatLines(seed: number, count: number, ngrokRate = 0.01): string[] {
  return syntheticSysmonLines(seed, count, "'", ngrokRate).map((line) => {
    const r = parseRegularLine(line)![0]!
    const host = r.computer!
    return JSON.stringify({
      '@timestamp': new Date(Date.parse(r.systemTime!)).toISOString(),
      agent: { type: 'winlogbeat', version: '8.12.2', name: host.split('.')[0]!.toLowerCase(), id: '5f0d4a5c-2f86-4b5e-9a51-1c1d0b4c2a11' },
      ecs: { version: '8.0.0' },
      event: { code: '1', kind: 'event', provider: 'Microsoft-Windows-Sysmon', created: '2026-03-20T08:00:00.000Z', action: 'Process Create (rule: ProcessCreate)' },
      host: { name: host.toLowerCase(), hostname: host.split('.')[0]!.toLowerCase(), os: { family: 'windows', platform: 'windows', version: '10.0' } },
      log: { level: 'information' },
      message: 'Process Create:',
      winlog: {
        api: 'wineventlog', channel: r.channel, computer_name: host, event_id: '1', record_id: r.recordId, provider_name: r.provider,
        provider_guid: '{5770385F-C22A-43E0-BF4C-06F5698FFBD9}', opcode: 'Info', task: 'Process Create (rule: ProcessCreate)', version: 5,
        process: { pid: 3160, thread: { id: 4212 } }, user: { identifier: r.userId, name: 'SYSTEM', domain: 'NT AUTHORITY', type: 'User' },
        event_data: Object.fromEntries(r.data),
      },
    })
  })
}
