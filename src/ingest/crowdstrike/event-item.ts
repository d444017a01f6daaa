import { applyCimDataModel } from '../../detection/cim.js'
import { storableEvent } from '../storable-text.js'
import { errorItem, type IngestItem } from '../types.js'
import { CROWDSTRIKE_SOURCETYPE, fdrField, normalizeProcessRollup2 } from './normalize.js'

/**
 * One CrowdStrike FDR event (a JSON object with `event_simpleName`). The add-on's eventtype is
 * `event_simpleName="ProcessRollup2"` (search values are case-insensitive). SyntheticProcessRollup2
 * (processes that started before the sensor) does not match it, so Splunk never puts it in
 * Endpoint.Processes; neither do we. Other names are skipped as `crowdstrike:<name>`.
 */

const PROCESS_EVENT = 'processrollup2'
/** Longest event name kept in a skipped-kind key. */
const MAX_KIND_NAME = 100

export const isCrowdStrikeEvent = (event: Record<string, unknown>): boolean => fdrField(event, 'event_simpleName') !== null

export function crowdstrikeItem(
  event: Record<string, unknown>,
  line: number,
  offset: number,
  rawOffset: number,
  rawLength: number,
  hostOf?: (aid: string) => string | undefined,
): IngestItem {
  const name = fdrField(event, 'event_simpleName') ?? ''
  if (name.toLowerCase() !== PROCESS_EVENT) {
    return { kind: 'skipped', line, source: 'crowdstrike', eventKind: `crowdstrike:${name.slice(0, MAX_KIND_NAME)}`, reason: `CrowdStrike ${name} is not a process creation` }
  }
  const normalized = normalizeProcessRollup2(event, hostOf)
  if ('error' in normalized) return errorItem(line, offset, normalized.error)
  return {
    kind: 'event',
    event: storableEvent(applyCimDataModel(normalized.time, normalized.fields, CROWDSTRIKE_SOURCETYPE)),
    source: 'crowdstrike',
    key: crowdstrikeEventKey(event),
    line,
    rawOffset,
    rawLength,
  }
}

/** aid|TargetProcessId|timestamp, or null when one is missing or empty (no identity then). */
function crowdstrikeEventKey(event: Record<string, unknown>): string | null {
  const parts = [fdrField(event, 'aid'), fdrField(event, 'TargetProcessId'), fdrField(event, 'timestamp')]
  return parts.every((p) => p !== null && p !== '') ? parts.join('|') : null
}
