import { applyCimDataModel } from '../../detection/cim.js'
import type { IngestItem } from '../types.js'
import { CROWDSTRIKE_SOURCETYPE, fdrField, normalizeProcessRollup2 } from './normalize.js'

/**
 * One line of JSON. Only CrowdStrike FDR (recognized by `event_simpleName`) is normalized; the
 * Winlogbeat/NXLog renderings of Sysmon and 4688 are a later format and are reported as skipped.
 */

/**
 * The add-on's eventtype is `event_simpleName="ProcessRollup2"` (search values are
 * case-insensitive). SyntheticProcessRollup2 (processes that started before the sensor) does
 * not match it, so Splunk never puts it in Endpoint.Processes; neither do we.
 */
const PROCESS_EVENT = 'processrollup2'

const MAX_BISECT_CHARS = 64 * 1024

/** Whether `prefix` could still begin a valid JSON text (V8 only complains about its end). */
function validSoFar(prefix: string): boolean {
  try {
    JSON.parse(prefix)
    return true
  } catch (err) {
    const message = err instanceof Error ? err.message : ''
    const at = / at position (\d+)/.exec(message)
    return message.startsWith('Unexpected end of JSON input') || (at !== null && Number(at[1]) >= prefix.length)
  }
}

/**
 * V8's reason plus a 1-based column. "Unexpected token" messages carry no position (they echo
 * the line instead), so the column is found by bisecting for the longest prefix that is still
 * valid; this runs only for bad lines.
 */
function jsonError(text: string, err: unknown): string {
  const message = err instanceof Error ? err.message : String(err)
  const at = / in JSON at position (\d+)/.exec(message)
  if (at !== null) return message.replace(at[0], ` at column ${Number(at[1]) + 1}`)
  const reason = message.replace(/, (?:\.\.\.)?".*" is not valid JSON$/s, '')
  // Each probe re-parses a prefix; keep that affordable on a huge garbage line.
  if (text.length > MAX_BISECT_CHARS) return reason
  let good = 0
  let bad = text.length
  while (bad - good > 1) {
    const mid = (good + bad) >>> 1
    if (validSoFar(text.slice(0, mid))) good = mid
    else bad = mid
  }
  return `${reason} at column ${bad}`
}

export function jsonLineItem(text: string, line: number, hostOf?: (aid: string) => string | undefined): IngestItem {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (err) {
    return { kind: 'error', line, message: `invalid JSON: ${jsonError(text, err)}` }
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { kind: 'error', line, message: 'JSON line is not an object' }
  const event = value as Record<string, unknown>
  const name = fdrField(event, 'event_simpleName')
  if (name === null) return { kind: 'skipped', line, source: 'other', reason: 'unsupported JSON rendering' }
  if (name.toLowerCase() !== PROCESS_EVENT) return { kind: 'skipped', line, source: 'crowdstrike', reason: `CrowdStrike ${name} is not a process creation` }
  const normalized = normalizeProcessRollup2(event, hostOf)
  if ('error' in normalized) return { kind: 'error', line, message: normalized.error }
  return {
    kind: 'event',
    event: applyCimDataModel(normalized.time, normalized.fields, CROWDSTRIKE_SOURCETYPE),
    source: 'crowdstrike',
    key: `${fdrField(event, 'aid') ?? ''}|${fdrField(event, 'TargetProcessId') ?? ''}|${fdrField(event, 'timestamp') ?? ''}`,
    line,
  }
}
