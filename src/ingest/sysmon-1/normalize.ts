import { detachOrNull } from '../detach.js'
import type { Normalized } from '../normalized.js'
import { stripDomain, sysmonBasename, unlessDash, valueOrNull } from '../splunk-evals.js'
import { parseSysmonUtcTime, parseSystemTime } from '../times.js'
import type { WinEventView } from '../win-event-view.js'

/**
 * Sysmon EventID 1 as `Splunk_TA_microsoft_sysmon` extracts it (ESCU-SEMANTICS.md §3.1); the
 * CIM data model (`applyCimDataModel`) is applied by the caller.
 */

export const SYSMON_CHANNEL = 'Microsoft-Windows-Sysmon/Operational'
export const SYSMON_VENDOR_PRODUCT = 'Microsoft Sysmon'

export function normalizeSysmon1(record: WinEventView): Normalized {
  const data = (name: string): string | null => detachOrNull(valueOrNull(record.data.get(name)))
  // TIME_PREFIX is `<Data Name='UtcTime'>`; without a usable one we take the System time.
  const time = parseSysmonUtcTime(data('UtcTime')) ?? parseSystemTime(record.systemTime)
  if (time === null) {
    const utc = data('UtcTime')
    return { error: utc === null ? 'Sysmon EventID 1 has no UtcTime and no TimeCreated SystemTime' : `Sysmon EventID 1 has an invalid UtcTime '${utc}' and no TimeCreated SystemTime` }
  }
  const image = data('Image')
  const parentImage = data('ParentImage')
  const user = unlessDash(data('User'))
  const processName = image === null ? null : sysmonBasename(image)
  const parentName = parentImage === null ? null : sysmonBasename(parentImage)
  return {
    time,
    fields: {
      action: 'allowed',
      dest: detachOrNull(valueOrNull(record.computer)),
      original_file_name: unlessDash(data('OriginalFileName')),
      parent_process: data('ParentCommandLine'),
      parent_process_exec: parentName,
      parent_process_guid: data('ParentProcessGuid'),
      parent_process_id: data('ParentProcessId'),
      parent_process_name: parentName,
      parent_process_path: parentImage,
      process: data('CommandLine'),
      process_exec: processName,
      process_guid: data('ProcessGuid'),
      process_hash: data('Hashes'),
      process_id: data('ProcessId'),
      process_integrity_level: data('IntegrityLevel'),
      process_name: processName,
      process_path: image,
      user: user === null ? null : stripDomain(user),
      // Windows TA `FIELDALIAS UserID AS user_id`: the event writer's SID (S-1-5-18 for Sysmon).
      user_id: detachOrNull(valueOrNull(record.userId)),
      vendor_product: SYSMON_VENDOR_PRODUCT,
    },
  }
}
