import type { CimProcessField, ExtractedProcessFields, ProcessEvent } from './event.js'

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
  const plain = (f: CimProcessField): string | null => orNull(raw[f])
  const integrity = plain('process_integrity_level')
  return {
    _time: time,
    action: plain('action'),
    dest: orUnknown(raw.dest),
    original_file_name: orUnknown(raw.original_file_name),
    parent_process: orUnknown(raw.parent_process),
    parent_process_exec: plain('parent_process_exec'),
    parent_process_guid: plain('parent_process_guid'),
    parent_process_id: plain('parent_process_id'),
    parent_process_name: nameOrFromCommand(raw.parent_process_name, raw.parent_process),
    parent_process_path: plain('parent_process_path'),
    process: orUnknown(raw.process),
    process_exec: plain('process_exec'),
    process_guid: plain('process_guid'),
    process_hash: plain('process_hash'),
    process_id: plain('process_id'),
    process_integrity_level: integrity === null ? null : integrity.toLowerCase(),
    process_name: nameOrFromCommand(raw.process_name, raw.process),
    process_path: plain('process_path'),
    user: orUnknown(raw.user),
    user_id: plain('user_id'),
    vendor_product: present(raw.vendor_product) ? raw.vendor_product : present(sourcetype) ? sourcetype : UNKNOWN,
  }
}
