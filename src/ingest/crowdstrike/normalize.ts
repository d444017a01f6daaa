import type { Normalized } from '../normalized.js'
import { parseEpochMillis } from '../times.js'

/**
 * CrowdStrike FDR ProcessRollup2 as `Splunk_TA_CrowdStrike_FDR` extracts it (ESCU-SEMANTICS.md
 * §3.3). Note the detection-relevant quirk: `process_name` comes from the command line, so
 * `ngrok http 80` yields `ngrok`, not `ngrok.exe`.
 */

export const CROWDSTRIKE_VENDOR_PRODUCT = 'CrowdStrike FDR'
export const CROWDSTRIKE_SOURCETYPE = 'crowdstrike:events:sensor'

/** The add-on's `crowdstrike_IntegrityLevel.csv` lookup. */
const INTEGRITY_LEVELS: ReadonlyMap<string, string> = new Map([
  ['0', 'untrusted'],
  ['4096', 'low'],
  ['8192', 'medium'],
  ['8448', 'medium_plus'],
  ['12288', 'high'],
  ['16384', 'system'],
  ['20480', 'protected'],
])

/** An FDR field: every value is a JSON string; numbers are accepted as text, `""` is no value. */
export function fdrField(event: Record<string, unknown>, name: string): string | null {
  const v = event[name]
  if (typeof v === 'string') return v === '' ? null : v
  if (typeof v === 'number' || typeof v === 'boolean') return String(v)
  return null
}

const lastSegment = (path: string, separator: string): string => path.slice(path.lastIndexOf(separator) + 1)

/** `"C:\x\a.exe" args` → `C:\x\a.exe` (the add-on's `"%"%` test); else the first space-separated token. */
function commandImage(commandLine: string): string {
  if (commandLine.startsWith('"')) {
    const close = commandLine.indexOf('"', 1)
    if (close > 0) return commandLine.slice(1, close)
  }
  const space = commandLine.indexOf(' ')
  return space < 0 ? commandLine : commandLine.slice(0, space)
}

/** `trim(x, " ")`: spaces only (a loop; `/ +$/` backtracks quadratically on long inner runs). */
function trimSpaces(s: string): string {
  let from = 0
  let to = s.length
  while (from < to && s.charCodeAt(from) === 32) from++
  while (to > from && s.charCodeAt(to - 1) === 32) to--
  return s.slice(from, to)
}

export function normalizeProcessRollup2(event: Record<string, unknown>, hostOf?: (aid: string) => string | undefined): Normalized {
  const f = (name: string): string | null => fdrField(event, name)
  const time = parseEpochMillis(f('timestamp'))
  if (time === null) return { error: `CrowdStrike ${f('event_simpleName')} has no valid timestamp${f('timestamp') === null ? '' : ` ('${f('timestamp')}')`}` }
  const windows = f('event_platform') === 'Win'
  const separator = windows ? '\\' : '/'
  const commandLine = f('CommandLine')
  const imageFile = f('ImageFileName')
  const image = commandLine === null ? null : commandImage(commandLine)
  const aid = f('aid')
  const host = aid === null ? undefined : hostOf?.(aid)
  const integrity = f('IntegrityLevel')
  const user = f('UserSid') ?? f('UID')
  const parent = f('ParentBaseFileName')
  const orNull = (s: string | null): string | null => (s === '' ? null : s)
  return {
    time,
    fields: {
      action: 'allowed',
      dest: host !== undefined && host !== '' ? host : f('ComputerName'),
      original_file_name: null,
      parent_process: null,
      parent_process_exec: parent,
      parent_process_guid: null,
      parent_process_id: f('ParentProcessId'),
      parent_process_name: parent,
      parent_process_path: null,
      process: commandLine === null ? null : orNull(trimSpaces(commandLine).replaceAll('"', '')),
      process_exec: imageFile === null ? null : orNull(lastSegment(imageFile, separator)),
      process_guid: null,
      process_hash: f('SHA256HashData'),
      process_id: f('TargetProcessId'),
      process_integrity_level: integrity === null ? null : (INTEGRITY_LEVELS.get(integrity) ?? integrity),
      process_name: image === null ? null : orNull(lastSegment(image, separator)),
      process_path: windows ? (image === null ? null : orNull(image)) : imageFile,
      user,
      user_id: user,
      vendor_product: CROWDSTRIKE_VENDOR_PRODUCT,
    },
  }
}
