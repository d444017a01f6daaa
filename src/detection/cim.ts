import type { ExtractedProcessFields, ProcessEvent } from './event.js'

/**
 * The CIM `Endpoint.Processes` data model as Splunk_SA_CIM defines it: calculated fields that are
 * never null (they fall back to "unknown"), process names derived from the command line when the
 * add-on gave none, and the base search's `lower(process_integrity_level)`.
 */

const UNKNOWN = 'unknown'

const present = (v: string | null | undefined): v is string => v !== null && v !== undefined && v !== ''

/** `replace(x,"^\s*([^\s]+).*","\1")`: the first whitespace-delimited token of a command line. */
function firstToken(commandLine: string): string {
  const m = /^\s*(\S+)/.exec(commandLine)
  return m ? m[1]! : commandLine
}

function nameOrFromCommand(name: string | null | undefined, command: string | null | undefined): string {
  if (present(name)) return name
  if (present(command)) return firstToken(command)
  return UNKNOWN
}

const orUnknown = (v: string | null | undefined): string => (present(v) ? v : UNKNOWN)
const orNull = (v: string | null | undefined): string | null => (v === undefined ? null : v)

/**
 * Applies the data model to an add-on extraction. `sourcetype` is the fallback of the CIM
 * `vendor_product` calculation when the add-on names no vendor or product.
 */
export function applyCimDataModel(time: number, raw: ExtractedProcessFields, sourcetype: string): ProcessEvent {
  const integrity = orNull(raw.process_integrity_level)
  return {
    _time: time,
    action: orNull(raw.action),
    dest: orUnknown(raw.dest),
    original_file_name: orUnknown(raw.original_file_name),
    parent_process: orUnknown(raw.parent_process),
    parent_process_exec: orNull(raw.parent_process_exec),
    parent_process_guid: orNull(raw.parent_process_guid),
    parent_process_id: orNull(raw.parent_process_id),
    parent_process_name: nameOrFromCommand(raw.parent_process_name, raw.parent_process),
    parent_process_path: orNull(raw.parent_process_path),
    process: orUnknown(raw.process),
    process_exec: orNull(raw.process_exec),
    process_guid: orNull(raw.process_guid),
    process_hash: orNull(raw.process_hash),
    process_id: orNull(raw.process_id),
    process_integrity_level: integrity === null ? null : integrity.toLowerCase(),
    process_name: nameOrFromCommand(raw.process_name, raw.process),
    process_path: orNull(raw.process_path),
    user: orUnknown(raw.user),
    user_id: orNull(raw.user_id),
    vendor_product: present(raw.vendor_product) ? raw.vendor_product : present(sourcetype) ? sourcetype : UNKNOWN,
  }
}
