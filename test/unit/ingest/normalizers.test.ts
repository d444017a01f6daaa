import { describe, expect, it } from 'vitest'
import { normalizeProcessRollup2 } from '../../../src/ingest/crowdstrike/normalize.js'
import { jsonValueItem } from '../../../src/ingest/json/value-item.js'
import { normalizeSysmon1 } from '../../../src/ingest/sysmon-1/normalize.js'
import { windowsEventItem } from '../../../src/ingest/windows-event.js'
import { newWinEventRecord, type WinEventRecord } from '../../../src/ingest/xml/win-event.js'

/** Normalizer edge cases at the record level, below the XML and JSON readers. */

function sysmonRecord(data: Record<string, string>, system: Partial<WinEventRecord> = {}): WinEventRecord {
  return { ...newWinEventRecord(), eventId: '1', channel: 'Microsoft-Windows-Sysmon/Operational', computer: 'h1', recordId: '7', systemTime: '2026-01-02T03:04:05.9876543Z', ...system, data: new Map(Object.entries(data)) }
}

describe('Sysmon EventID 1 normalizer', () => {
  it('maps `-` OriginalFileName and User to no value (CIM: unknown)', () => {
    const item = windowsEventItem(sysmonRecord({ UtcTime: '2026-01-02 03:04:05.123', OriginalFileName: '-', User: '-', Image: 'C:\\a\\b.exe' }), 3, 300, 0, 0)
    expect(item).toMatchObject({ kind: 'event', line: 3, event: { original_file_name: 'unknown', user: 'unknown', process_name: 'b.exe' } })
  })

  it('strips the domain of User and keeps names without one', () => {
    expect(normalizeSysmon1(sysmonRecord({ UtcTime: '2026-01-02 03:04:05.123', User: 'CORP\\alice' }))).toMatchObject({ fields: { user: 'alice' } })
    expect(normalizeSysmon1(sysmonRecord({ UtcTime: '2026-01-02 03:04:05.123', User: 'alice' }))).toMatchObject({ fields: { user: 'alice' } })
  })

  it('takes _time from UtcTime, else from TimeCreated SystemTime, else reports an error', () => {
    expect(normalizeSysmon1(sysmonRecord({ UtcTime: '2026-01-02 03:04:05.123' }))).toMatchObject({ time: Date.UTC(2026, 0, 2, 3, 4, 5, 123) })
    expect(normalizeSysmon1(sysmonRecord({}))).toMatchObject({ time: Date.UTC(2026, 0, 2, 3, 4, 5, 987) })
    expect(normalizeSysmon1(sysmonRecord({ UtcTime: '2026-13-02 03:04:05.123' }))).toMatchObject({ time: Date.UTC(2026, 0, 2, 3, 4, 5, 987) })
    expect(windowsEventItem(sysmonRecord({}, { systemTime: null }), 9, 900, 0, 0)).toEqual({ kind: 'error', line: 9, offset: 900, message: 'Sysmon EventID 1 has no UtcTime and no TimeCreated SystemTime' })
  })

  it('treats an empty or self-closing Data element as absent', () => {
    expect(windowsEventItem(sysmonRecord({ UtcTime: '2026-01-02 03:04:05.123', CommandLine: '', Image: '' }), 1, 100, 0, 0)).toMatchObject({
      event: { process: 'unknown', process_path: null, process_name: 'unknown' },
    })
  })

  it('skips other Sysmon EventIDs and other channels, and rejects events without a numeric EventID', () => {
    expect(windowsEventItem(sysmonRecord({}, { eventId: '3' }), 2, 200, 0, 0)).toEqual({ kind: 'skipped', line: 2, source: 'sysmon', eventKind: 'sysmon:3', reason: 'Sysmon EventID 3 is not a process creation' })
    expect(windowsEventItem(sysmonRecord({}, { channel: 'Security', eventId: '4624' }), 2, 200, 0, 0)).toMatchObject({ kind: 'skipped', source: 'other', eventKind: 'security:4624' })
    expect(windowsEventItem(sysmonRecord({}, { channel: 'System', eventId: '7045' }), 2, 200, 0, 0)).toMatchObject({ kind: 'skipped', source: 'other', eventKind: 'windows:System:7045' })
    expect(windowsEventItem(sysmonRecord({}, { eventId: null }), 2, 200, 0, 0)).toMatchObject({ kind: 'error', message: 'Windows event has no <EventID>' })
    expect(windowsEventItem(sysmonRecord({}, { eventId: 'one' }), 2, 200, 0, 0)).toMatchObject({ kind: 'error' })
  })
})

const fdr = (fields: Record<string, unknown>) => ({ event_simpleName: 'ProcessRollup2', event_platform: 'Win', timestamp: '1773479600000', aid: 'a1', TargetProcessId: '42', ...fields })

describe('CrowdStrike ProcessRollup2 normalizer', () => {
  it('`ngrok http 80` yields process_name ngrok, so the ESCU rule (process_name=ngrok.exe) does not match', () => {
    const n = normalizeProcessRollup2(fdr({ CommandLine: 'ngrok http 80', ImageFileName: '\\Device\\HarddiskVolume3\\Tools\\ngrok.exe' }))
    expect(n).toMatchObject({ fields: { process: 'ngrok http 80', process_name: 'ngrok', process_path: 'ngrok', process_exec: 'ngrok.exe' } })
    const name = 'fields' in n ? n.fields.process_name! : ''
    expect(name.toLowerCase() === 'ngrok.exe').toBe(false)
  })

  it('removes every double quote and trims spaces (only spaces) from the command line', () => {
    const n = normalizeProcessRollup2(fdr({ CommandLine: '"C:\\x y\\ngrok.exe" "http" 80\t  ' }))
    expect(n).toMatchObject({ fields: { process: 'C:\\x y\\ngrok.exe http 80\t', process_name: 'ngrok.exe', process_path: 'C:\\x y\\ngrok.exe' } })
  })

  it('uses / on other platforms and ImageFileName as process_path', () => {
    const n = normalizeProcessRollup2(fdr({ event_platform: 'Lin', CommandLine: '/usr/local/bin/ngrok http 80', ImageFileName: '/usr/local/bin/ngrok', UID: '501' }))
    expect(n).toMatchObject({ fields: { process_name: 'ngrok', process_exec: 'ngrok', process_path: '/usr/local/bin/ngrok', user: '501', user_id: '501' } })
  })

  it.each([
    ['0', 'untrusted'], ['4096', 'low'], ['8192', 'medium'], ['8448', 'medium_plus'], ['12288', 'high'], ['16384', 'system'], ['20480', 'protected'],
    ['9999', '9999'], ['constructor', 'constructor'],
  ])('maps IntegrityLevel %s to %s', (level, expected) => {
    expect(normalizeProcessRollup2(fdr({ IntegrityLevel: level }))).toMatchObject({ fields: { process_integrity_level: expected } })
  })

  it('treats empty strings as absent and prefers UserSid over UID', () => {
    const n = normalizeProcessRollup2(fdr({ UserSid: 'S-1-5-18', UID: '0', CommandLine: '', SHA256HashData: '' }))
    expect(n).toMatchObject({ fields: { user: 'S-1-5-18', process: null, process_hash: null } })
  })

  it('takes dest from the aid lookup, then a ComputerName field', () => {
    expect(normalizeProcessRollup2(fdr({ ComputerName: 'pc9' }), () => 'pc1')).toMatchObject({ fields: { dest: 'pc1' } })
    expect(normalizeProcessRollup2(fdr({ ComputerName: 'pc9' }), () => undefined)).toMatchObject({ fields: { dest: 'pc9' } })
    expect(normalizeProcessRollup2(fdr({}))).toMatchObject({ fields: { dest: null } })
  })

  it('reports a missing or malformed timestamp', () => {
    expect(normalizeProcessRollup2(fdr({ timestamp: 'soon' }))).toEqual({ error: "CrowdStrike ProcessRollup2 has no valid timestamp ('soon')" })
  })

  it('classifies JSON values', () => {
    expect(jsonValueItem(fdr({ event_simpleName: 'SyntheticProcessRollup2' }), 4, 40, 0, 0)).toMatchObject({ kind: 'skipped', source: 'crowdstrike', eventKind: 'crowdstrike:SyntheticProcessRollup2' })
    expect(jsonValueItem(fdr({ event_simpleName: 'DnsRequest' }), 4, 40, 0, 0)).toMatchObject({ kind: 'skipped', source: 'crowdstrike', eventKind: 'crowdstrike:DnsRequest' })
    expect(jsonValueItem({ EventID: 1, Image: 'C:\\x.exe' }, 4, 40, 0, 0)).toMatchObject({ kind: 'skipped', source: 'other', eventKind: 'windows::1' })
    expect(jsonValueItem({ id: 1, msg: 'x' }, 4, 40, 0, 0)).toEqual({ kind: 'skipped', line: 4, source: 'other', eventKind: 'json:unsupported', reason: 'unsupported JSON rendering' })
    expect(jsonValueItem('x', 4, 40, 0, 0)).toEqual({ kind: 'error', line: 4, offset: 40, message: 'JSON line is not an object' })
    expect(jsonValueItem([1], 4, 40, 0, 0)).toMatchObject({ kind: 'error', message: 'JSON line is not an object' })
  })

})
