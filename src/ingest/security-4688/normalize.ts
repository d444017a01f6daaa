import { detachOrNull } from '../detach.js'
import type { Normalized } from '../normalized.js'
import { splitCommandLine, unlessDash, valueOrNull, windowsLastSegment } from '../splunk-evals.js'
import { parseSystemTime } from '../times.js'
import type { WinEventView } from '../win-event-view.js'

/**
 * Security 4688 as `Splunk_TA_windows` extracts it (ESCU-SEMANTICS.md §3.2). Ids stay the hex
 * strings Windows writes (`0xf84`); there is no GUID, hash or integrity level.
 */

export const SECURITY_CHANNEL = 'Security'
export const WINDOWS_VENDOR_PRODUCT = 'Microsoft Windows'

const AUDIT_SUCCESS = '0x8020000000000000'
const AUDIT_FAILURE = '0x8010000000000000'

/**
 * The TA rebuilds `process` so it always starts with the full image path: a command line whose
 * first token has no `\` gets NewProcessName (quoted if it has whitespace) in front of its
 * arguments.
 */
export function rebuild4688Process(newProcessName: string | null, commandLine: string | null): string | null {
  const parts = commandLine === null ? null : splitCommandLine(commandLine)
  if (parts === null) return newProcessName ?? commandLine
  if (parts.token.includes('\\') || newProcessName === null) return commandLine
  const image = /[ \t\n\v\f\r]/.test(newProcessName) ? `"${newProcessName}"` : newProcessName
  return `${image} ${parts.rest}`
}

/** A Data value as the add-on sees it (null when absent or empty), copied off the raw line; a module function, not a closure per event. */
const dataValue = (record: WinEventView, name: string): string | null => detachOrNull(valueOrNull(record.data.get(name)))

export function normalizeSecurity4688(record: WinEventView): Normalized {
  const time = parseSystemTime(record.systemTime)
  if (time === null) return { error: `Security 4688 has no valid TimeCreated SystemTime${record.systemTime === null ? '' : ` ('${record.systemTime}')`}` }
  const newProcessName = dataValue(record, 'NewProcessName')
  const parentPath = dataValue(record, 'ParentProcessName')
  const processName = newProcessName === null ? null : windowsLastSegment(newProcessName)
  const keywords = record.keywords?.trim().toLowerCase()
  return {
    time,
    fields: {
      action: keywords === AUDIT_SUCCESS ? 'allowed' : keywords === AUDIT_FAILURE ? 'blocked' : null,
      dest: detachOrNull(valueOrNull(record.computer)),
      original_file_name: null,
      parent_process: parentPath,
      parent_process_exec: null,
      parent_process_guid: null,
      parent_process_id: dataValue(record, 'ProcessId'),
      parent_process_name: parentPath === null ? null : windowsLastSegment(parentPath),
      parent_process_path: parentPath,
      process: rebuild4688Process(newProcessName, dataValue(record, 'CommandLine')),
      process_exec: processName,
      process_guid: null,
      process_hash: null,
      process_id: dataValue(record, 'NewProcessId'),
      process_integrity_level: null,
      process_name: processName,
      process_path: newProcessName,
      user: unlessDash(dataValue(record, 'TargetUserName')) ?? unlessDash(dataValue(record, 'SubjectUserName')),
      user_id: detachOrNull(valueOrNull(record.userId)),
      vendor_product: WINDOWS_VENDOR_PRODUCT,
    },
  }
}
