import { describe, expect, it } from 'vitest'
import { events, fixture, readAll } from './helpers/read.js'

/**
 * The three real ESCU example events, normalized field by field against the tables of
 * ESCU-SEMANTICS.md §3.1–§3.3 (values after the CIM data model: calculated fields never null).
 */

async function only(path: string, options?: Parameters<typeof readAll>[1]) {
  const items = await readAll(fixture(path), options)
  expect(items).toHaveLength(1)
  return events(items)[0]!
}

describe('ESCU example events', () => {
  it('Sysmon EventID 1 (§3.1)', async () => {
    const item = await only('sysmon/escu-example.xml')
    expect(item.source).toBe('sysmon')
    expect(item.line).toBe(1)
    expect(item.key).toBe('win-dc-6764986.attackrange.local|Microsoft-Windows-Sysmon/Operational|4522')
    const { parent_process, ...rest } = item.event
    expect(parent_process).toMatch(/^"powershell\.exe" -noninteractive -encodedcommand WwBDAG8AbgBzAG8AbABlAF0AOgA6AEkAbgBwAHUAdABF/)
    expect(parent_process).toMatch(/AGMAcwB2AA==$/)
    expect(rest).toEqual({
      _time: Date.UTC(2020, 9, 8, 11, 3, 46, 615), // UtcTime 2020-10-08 11:03:46.615, not SystemTime …46.617
      action: 'allowed',
      dest: 'win-dc-6764986.attackrange.local',
      original_file_name: 'Cmd.Exe',
      parent_process_exec: 'powershell.exe',
      parent_process_guid: '{96128EA2-F211-5F7E-DF00-000000007F01}',
      parent_process_id: '4624',
      parent_process_name: 'powershell.exe',
      parent_process_path: 'C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe',
      // verbatim CommandLine with `&amp;` decoded and the trailing space kept
      process: '"C:\\Windows\\system32\\cmd.exe" /c "reg save HKLM\\sam %%temp%%\\sam & reg save HKLM\\system %%temp%%\\system & reg save HKLM\\security %%temp%%\\security" ',
      process_exec: 'cmd.exe',
      process_guid: '{96128EA2-F212-5F7E-E400-000000007F01}',
      process_hash: 'MD5=F4F684066175B77E0C3A000549D2922C,SHA256=935C1861DF1F4018D698E8B65ABFA02D7E9037D8F68CA3C2065B6CA165D44AD2,IMPHASH=3062ED732D4B25D1C64F084DAC97D37A',
      process_id: '2296',
      process_integrity_level: 'high',
      process_name: 'cmd.exe',
      process_path: 'C:\\Windows\\System32\\cmd.exe',
      user: 'Administrator',
      user_id: 'S-1-5-18',
      vendor_product: 'Microsoft Sysmon',
    })
  })

  it('Security 4688 (§3.2)', async () => {
    const item = await only('security-4688/escu-example.xml')
    expect(item.source).toBe('security-4688')
    expect(item.key).toBe('ar-win-1|Security|432820')
    expect(item.event).toEqual({
      _time: Date.UTC(2024, 3, 23, 8, 48, 30, 449), // TimeCreated SystemTime, sub-ms digits cut
      action: 'allowed',
      dest: 'ar-win-1',
      original_file_name: 'unknown',
      parent_process: 'C:\\Program Files\\SplunkUniversalForwarder\\bin\\splunkd.exe',
      parent_process_exec: null,
      parent_process_guid: null,
      parent_process_id: '0xb2c',
      parent_process_name: 'splunkd.exe',
      parent_process_path: 'C:\\Program Files\\SplunkUniversalForwarder\\bin\\splunkd.exe',
      process: '"C:\\Program Files\\SplunkUniversalForwarder\\bin\\splunk-powershell.exe" --ps2',
      process_exec: 'splunk-powershell.exe',
      process_guid: null,
      process_hash: null,
      process_id: '0xf84',
      process_integrity_level: null,
      process_name: 'splunk-powershell.exe',
      process_path: 'C:\\Program Files\\SplunkUniversalForwarder\\bin\\splunk-powershell.exe',
      user: 'AR-WIN-1$', // TargetUserName is `-`, so SubjectUserName
      user_id: null, // `<Security/>` has no UserID
      vendor_product: 'Microsoft Windows',
    })
  })

  const crowdstrike = {
    _time: 1713805173418,
    action: 'allowed',
    dest: 'unknown',
    original_file_name: 'unknown',
    parent_process: 'unknown',
    parent_process_exec: 'explorer.exe',
    parent_process_guid: null,
    parent_process_id: '5459598860',
    parent_process_name: 'explorer.exe',
    parent_process_path: null,
    process: 'C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe', // quotes and the trailing space removed
    process_exec: 'powershell.exe',
    process_guid: null,
    process_hash: 'ba4038fd20e474c047be8aad5bfacdb1bfc1ddbe12f803f473b7918d8d819436',
    process_id: '5642133882', // TargetProcessId, not RawProcessId 5012
    process_integrity_level: 'high', // 12288
    process_name: 'powershell.exe',
    process_path: 'C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe',
    user: 'S-1-5-21-586445407-708991241-1829972403-500',
    user_id: 'S-1-5-21-586445407-708991241-1829972403-500',
    vendor_product: 'CrowdStrike FDR',
  }

  it('CrowdStrike ProcessRollup2 (§3.3): dest unknown without the aid lookup', async () => {
    const item = await only('crowdstrike/escu-example.ndjson')
    expect(item.source).toBe('crowdstrike')
    expect(item.key).toBe('168a90e125d443beb2a4e2914985084d|5642133882|1713805173418')
    expect(item.event).toEqual(crowdstrike)
  })

  it('CrowdStrike ProcessRollup2 (§3.3): dest from the aid lookup', async () => {
    const hosts = new Map([['168a90e125d443beb2a4e2914985084d', 'ar-win-2']])
    const item = await only('crowdstrike/escu-example.ndjson', { crowdstrikeHosts: (aid) => hosts.get(aid) })
    expect(item.event).toEqual({ ...crowdstrike, dest: 'ar-win-2' })
  })
})
