import { detach, detachOrNull } from '../detach.js'
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

/**
 * A Data value as the add-on sees it (null when absent or empty), copied off the raw line. A
 * module function rather than a closure per event: tsx (which runs Watchpost) names every closure
 * it creates, which cost more than the lookup itself.
 */
const dataValue = (record: WinEventView, name: string): string | null => detachOrNull(valueOrNull(record.data.get(name)))

export function normalizeSysmon1(record: WinEventView): Normalized {
  // TIME_PREFIX is `<Data Name='UtcTime'>`; without a usable one we take the System time. The
  // value is only parsed, so it is copied off the line only for an error message (which is kept).
  const utc = valueOrNull(record.data.get('UtcTime'))
  const time = parseSysmonUtcTime(utc) ?? parseSystemTime(record.systemTime)
  if (time === null) {
    return { error: utc === null ? 'Sysmon EventID 1 has no UtcTime and no TimeCreated SystemTime' : `Sysmon EventID 1 has an invalid UtcTime '${detach(utc)}' and no TimeCreated SystemTime` }
  }
  const image = dataValue(record, 'Image')
  const parentImage = dataValue(record, 'ParentImage')
  const user = unlessDash(dataValue(record, 'User'))
  const processName = image === null ? null : sysmonBasename(image)
  const parentName = parentImage === null ? null : sysmonBasename(parentImage)
  return {
    time,
    fields: {
      action: 'allowed',
      dest: detachOrNull(valueOrNull(record.computer)),
      original_file_name: unlessDash(dataValue(record, 'OriginalFileName')),
      parent_process: dataValue(record, 'ParentCommandLine'),
      parent_process_exec: parentName,
      parent_process_guid: dataValue(record, 'ParentProcessGuid'),
      parent_process_id: dataValue(record, 'ParentProcessId'),
      parent_process_name: parentName,
      parent_process_path: parentImage,
      process: dataValue(record, 'CommandLine'),
      process_exec: processName,
      process_guid: dataValue(record, 'ProcessGuid'),
      process_hash: dataValue(record, 'Hashes'),
      process_id: dataValue(record, 'ProcessId'),
      process_integrity_level: dataValue(record, 'IntegrityLevel'),
      process_name: processName,
      process_path: image,
      user: user === null ? null : stripDomain(user),
      // Windows TA `FIELDALIAS UserID AS user_id`: the event writer's SID (S-1-5-18 for Sysmon).
      user_id: detachOrNull(valueOrNull(record.userId)),
      vendor_product: SYSMON_VENDOR_PRODUCT,
    },
  }
}
