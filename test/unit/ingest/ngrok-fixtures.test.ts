import { describe, expect, it } from 'vitest'
import { CIM_PROCESS_FIELDS, type ProcessEvent } from '../../../src/detection/event.js'
import { events, fixture, readAll, summary } from './helpers/read.js'

/**
 * The synthetic ngrok fixtures produce what test/fixtures/logs/README.md documents. The grouping
 * below is a test-side stand-in for the ESCU search (case-insensitive WHERE, BY the 20 fields,
 * ctime in UTC) so the fixture's expected rows are pinned here, at the ingest level.
 */

const KEYWORDS = ['start', '--config', 'http', 'authtoken', 'tcp']
const matchesEscuNgrok = (e: ProcessEvent) => e.process_name!.toLowerCase() === 'ngrok.exe' && KEYWORDS.some((k) => e.process!.toLowerCase().includes(k))
const ctime = (ms: number) => new Date(Math.floor(ms / 1000) * 1000).toISOString().slice(0, 19)

function escuRows(items: Awaited<ReturnType<typeof readAll>>) {
  const rows = new Map<string, { process: string; user: string; dest: string; count: number; firstTime: string; lastTime: string; lines: number[] }>()
  for (const { event, line } of events(items).filter((i) => matchesEscuNgrok(i.event))) {
    const key = CIM_PROCESS_FIELDS.map((f) => event[f] ?? 'null').join('\u0000')
    const row = rows.get(key) ?? { process: event.process!, user: event.user!, dest: event.dest!, count: 0, firstTime: ctime(event._time), lastTime: ctime(event._time), lines: [] }
    row.count++
    row.lines.push(line)
    if (ctime(event._time) < row.firstTime) row.firstTime = ctime(event._time)
    if (ctime(event._time) > row.lastTime) row.lastTime = ctime(event._time)
    rows.set(key, row)
  }
  return [...rows.values()]
}

describe('sysmon/ngrok-synthetic.xml', async () => {
  const items = await readAll(fixture('sysmon/ngrok-synthetic.xml'))

  it('has 36 process events, 3 skipped events and the malformed line 30', () => {
    const kinds = summary(items)
    expect(kinds).toHaveLength(40)
    expect(kinds.filter((k) => k.includes(' event sysmon'))).toHaveLength(36)
    expect(kinds.filter((k) => k.includes(' skipped '))).toEqual([
      '4 skipped Sysmon EventID 3 is not a process creation',
      '13 skipped Sysmon EventID 11 is not a process creation',
      '40 skipped Sysmon EventID 3 is not a process creation',
    ])
    expect(kinds.filter((k) => k.includes(' error '))).toEqual(['30 error unexpected end of XML: <Event> not closed (a new <Event> starts on line 31)'])
  })

  it('normalizes the documented special lines', () => {
    const at = (line: number) => events(items).find((i) => i.line === line)!.event
    expect(at(2)).toMatchObject({ user: 'alice', process_name: 'ngrok.exe', parent_process: '"C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe" ' })
    expect(at(5)).toMatchObject({ process_name: 'NGROK.EXE', process_path: 'C:\\TOOLS\\NGROK.EXE', user: 'svc_tunnel', process_integrity_level: 'high' })
    expect(at(6).process).toBe('cmd.exe /c "echo build & test" > C:\\Temp\\out.txt')
    expect(at(11)).toMatchObject({ process_name: 'tunnel.exe', original_file_name: 'ngrok.exe' })
    expect(at(21)).toMatchObject({ process_name: 'C:\\opt\\agent\\my-tool', process_exec: 'C:\\opt\\agent\\my-tool', original_file_name: 'unknown', user: 'unknown' })
    expect(new Set(events(items).map((i) => i.key)).size).toBe(36)
  })

  it('groups into the four documented ESCU rows', () => {
    expect(escuRows(items)).toEqual([
      { process: 'ngrok.exe start --all --config C:\\Users\\alice\\AppData\\Local\\ngrok\\ngrok.yml', user: 'alice', dest: 'WS-ALICE01.corp.example.com', count: 1, firstTime: '2026-03-14T09:12:03', lastTime: '2026-03-14T09:12:03', lines: [2] },
      { process: 'NGROK.EXE tcp 3389', user: 'svc_tunnel', dest: 'SRV-APP03.corp.example.com', count: 3, firstTime: '2026-03-15T22:41:17', lastTime: '2026-03-15T22:41:19', lines: [5, 20, 35] },
      { process: 'ngrok.exe http 8080', user: 'dave', dest: 'WS-DEV04.corp.example.com', count: 2, firstTime: '2026-03-16T14:05:09', lastTime: '2026-03-16T14:05:10', lines: [7, 28] },
      {
        process: '"C:\\Users\\alice\\AppData\\Local\\ngrok\\ngrok.exe" config add-authtoken 2dXkQ7rJwZ9bT4mN8vL1pF6sYc3_5hGaKe7UoRi2WnBq',
        user: 'alice', dest: 'WS-ALICE01.corp.example.com', count: 1, firstTime: '2026-03-14T09:10:41', lastTime: '2026-03-14T09:10:41', lines: [8],
      },
    ])
  })
})

describe('security-4688/ngrok-synthetic.xml', async () => {
  const items = await readAll(fixture('security-4688/ngrok-synthetic.xml'))
  const at = (line: number) => events(items).find((i) => i.line === line)!.event

  it('rebuilds process, picks the user and maps the audit keywords', () => {
    expect(summary(items).at(-1)).toBe('7 skipped Security EventID 4624 is not a process creation')
    expect(at(1)).toMatchObject({ process: 'C:\\Users\\alice\\AppData\\Local\\ngrok\\ngrok.exe http 8080', process_name: 'ngrok.exe', user: 'alice', process_id: '0x1cb0', parent_process_id: '0x1400', user_id: null, process_guid: null })
    expect(at(2)).toMatchObject({ process: '"C:\\Program Files\\ngrok\\ngrok.exe" tcp 3389', process_name: 'ngrok.exe', user: 'svc_tunnel' })
    expect(at(4).user).toBe('adm_bob')
    expect(at(5)).toMatchObject({ process: 'C:\\Windows\\System32\\svchost.exe', user: 'WS-BOB02$', parent_process_name: 'services.exe' })
    expect(at(6).action).toBe('blocked')
    expect(escuRows(items).map((r) => r.lines)).toEqual([[1], [2], [6]])
  })
})

describe('crowdstrike/ngrok-synthetic.ndjson', async () => {
  const items = await readAll(fixture('crowdstrike/ngrok-synthetic.ndjson'), { crowdstrikeHosts: (aid) => (aid.startsWith('8c2f') ? 'WS-ALICE01' : undefined) })
  const at = (line: number) => events(items).find((i) => i.line === line)!.event

  it('follows the add-on, including `ngrok http 80` → process_name ngrok (no ESCU match)', () => {
    expect(summary(items).filter((s) => s.includes('skipped'))).toEqual([
      '5 skipped CrowdStrike DnsRequest is not a process creation',
      '6 skipped CrowdStrike SyntheticProcessRollup2 is not a process creation',
    ])
    expect(at(1)).toMatchObject({ process: 'C:\\Users\\alice\\AppData\\Local\\ngrok\\ngrok.exe http 8080', process_name: 'ngrok.exe', dest: 'WS-ALICE01', process_integrity_level: 'medium' })
    expect(at(2)).toMatchObject({ process: 'ngrok http 80', process_name: 'ngrok', process_exec: 'ngrok.exe' })
    expect(at(7)).toMatchObject({ process_name: 'ngrok', process_path: '/usr/local/bin/ngrok', user: '501', dest: 'unknown' })
    expect(at(8).dest).toBe('WS-KIOSK09')
    expect(escuRows(items).map((r) => r.lines)).toEqual([[1], [3]])
  })
})
