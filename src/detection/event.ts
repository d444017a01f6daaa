/**
 * The single contract between ingest and detection: one process-creation event as the CIM
 * `Endpoint.Processes` dataset presents it to `tstats` (after the add-on's extractions and the data
 * model's calculated fields). `null` means "the field is absent" (Splunk null), never "unknown".
 */

/** The 20 fields of ESCU's standard Endpoint.Processes output schema, in ESCU's BY order. */
export const CIM_PROCESS_FIELDS = [
  'action',
  'dest',
  'original_file_name',
  'parent_process',
  'parent_process_exec',
  'parent_process_guid',
  'parent_process_id',
  'parent_process_name',
  'parent_process_path',
  'process',
  'process_exec',
  'process_guid',
  'process_hash',
  'process_id',
  'process_integrity_level',
  'process_name',
  'process_path',
  'user',
  'user_id',
  'vendor_product',
] as const

export type CimProcessField = (typeof CIM_PROCESS_FIELDS)[number]

/** A normalized event: `_time` is epoch milliseconds (UTC), every CIM field a string or null. */
export type ProcessEvent = { readonly _time: number } & { readonly [K in CimProcessField]: string | null }

/** The add-on's extraction before the data model's calculated fields are applied. */
export type ExtractedProcessFields = { readonly [K in CimProcessField]?: string | null }

const isCimProcessField = new Set<string>(CIM_PROCESS_FIELDS)

/** True when `name` is one of the 20 CIM fields an event carries. */
export function isProcessField(name: string): name is CimProcessField {
  return isCimProcessField.has(name)
}
