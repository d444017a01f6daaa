import { applyCimDataModel } from '../detection/cim.js'
import { detach } from './detach.js'
import type { Normalized } from './normalized.js'
import { normalizeSecurity4688, SECURITY_CHANNEL } from './security-4688/normalize.js'
import { normalizeSysmon1, SYSMON_CHANNEL } from './sysmon-1/normalize.js'
import type { EventSource, IngestItem } from './types.js'
import type { WinEventRecord } from './xml/win-event.js'

/**
 * Routes one parsed Windows event to its normalizer by Channel and EventID, as the add-ons'
 * `source::XmlWinEventLog:<Channel>` stanzas and eventtypes do. Everything else is `skipped`.
 */

export const WINDOWS_SOURCETYPE = 'XmlWinEventLog'

function toItem(source: EventSource, normalized: Normalized, record: WinEventRecord, line: number): IngestItem {
  if ('error' in normalized) return { kind: 'error', line, message: normalized.error }
  return {
    kind: 'event',
    event: applyCimDataModel(normalized.time, normalized.fields, WINDOWS_SOURCETYPE),
    source,
    key: detach(`${record.computer ?? ''}|${record.channel ?? ''}|${record.recordId ?? ''}`),
    line,
  }
}

export function windowsEventItem(record: WinEventRecord, line: number): IngestItem {
  const eventId = record.eventId?.trim() ?? null
  if (eventId === null || eventId === '') return { kind: 'error', line, message: 'Windows event has no <EventID>' }
  if (!/^\d+$/.test(eventId)) return { kind: 'error', line, message: `Windows event has a non-numeric EventID '${eventId}'` }
  const id = String(Number(eventId))
  if (record.channel === SYSMON_CHANNEL) {
    if (id === '1') return toItem('sysmon', normalizeSysmon1(record), record, line)
    return { kind: 'skipped', line, source: 'sysmon', reason: `Sysmon EventID ${id} is not a process creation` }
  }
  if (record.channel === SECURITY_CHANNEL) {
    if (id === '4688') return toItem('security-4688', normalizeSecurity4688(record), record, line)
    return { kind: 'skipped', line, source: 'other', reason: `Security EventID ${id} is not a process creation` }
  }
  return { kind: 'skipped', line, source: 'other', reason: `channel '${record.channel ?? ''}' EventID ${id} is not a supported process-creation source` }
}
