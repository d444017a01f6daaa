import { applyCimDataModel } from '../detection/cim.js'
import { detach } from './detach.js'
import type { Normalized } from './normalized.js'
import { normalizeSecurity4688, SECURITY_CHANNEL } from './security-4688/normalize.js'
import { storableEvent } from './storable-text.js'
import { normalizeSysmon1, SYSMON_CHANNEL } from './sysmon-1/normalize.js'
import { errorItem, type EventSource, type IngestItem } from './types.js'
import type { WinEventView } from './win-event-view.js'

/**
 * Routes one Windows event (from any rendering) to its normalizer by Channel and EventID, as the
 * add-ons' `source::XmlWinEventLog:<Channel>` stanzas and eventtypes do. Everything else is
 * `skipped`, counted under `sysmon:<id>`, `security:<id>` or `windows:<Channel>:<id>`.
 */

export const WINDOWS_SOURCETYPE = 'XmlWinEventLog'

/** Longest channel name kept in a skipped-kind key (the name comes from the upload). */
const MAX_KIND_CHANNEL = 100

function toItem(source: EventSource, normalized: Normalized, record: WinEventView, line: number, offset: number, rawOffset: number, rawLength: number, storable: boolean): IngestItem {
  if ('error' in normalized) return errorItem(line, offset, normalized.error)
  const event = applyCimDataModel(normalized.time, normalized.fields, WINDOWS_SOURCETYPE)
  return {
    kind: 'event',
    event: storable ? event : storableEvent(event),
    source,
    key: windowsEventKey(record),
    line,
    rawOffset,
    rawLength,
  }
}

/** Computer|Channel|EventRecordID, or null when one is missing or empty (no identity then). */
function windowsEventKey(record: WinEventView): string | null {
  const { computer, channel, recordId } = record
  if (!computer || !channel || !recordId?.trim()) return null
  return detach(`${computer}|${channel}|${recordId.trim()}`)
}

/** Up to 15 ASCII digits without a leading zero: already what `String(Number(id))` gives (checked per event, so no regex). */
function isCanonicalId(id: string): boolean {
  if (id.length > 15 || (id.length > 1 && id.charCodeAt(0) === 48)) return false
  for (let i = 0; i < id.length; i++) {
    const c = id.charCodeAt(i)
    if (c < 48 || c > 57) return false
  }
  return true
}

/** The EventID as a canonical decimal string, or why it is unusable. */
export function windowsEventId(record: WinEventView): { id: string } | { error: string } {
  const eventId = record.eventId?.trim() ?? null
  if (eventId === null || eventId === '') return { error: 'Windows event has no <EventID>' }
  if (isCanonicalId(eventId)) return { id: eventId }
  if (!/^\d+$/.test(eventId)) return { error: `Windows event has a non-numeric EventID '${eventId}'` }
  return { id: String(Number(eventId)) }
}

/** Whether the event is one Watchpost normalizes (Sysmon EventID 1 or Security 4688). */
export function isProcessCreation(channel: string | null, id: string): boolean {
  return (channel === SYSMON_CHANNEL && id === '1') || (channel === SECURITY_CHANNEL && id === '4688')
}

/**
 * One Windows event → an item; `rawOffset`/`rawLength` are where its text is in the input (IngestItem).
 * `storable`: the caller knows no value has a NUL or a lone surrogate (the XML fast path declines
 * such lines, and references to them are not XML characters), so the event need not be checked.
 */
export function windowsEventItem(record: WinEventView, line: number, offset: number, rawOffset: number, rawLength: number, storable = false): IngestItem {
  const eventId = windowsEventId(record)
  if ('error' in eventId) return errorItem(line, offset, eventId.error)
  const id = eventId.id
  if (record.channel === SYSMON_CHANNEL) {
    if (id === '1') return toItem('sysmon', normalizeSysmon1(record), record, line, offset, rawOffset, rawLength, storable)
    return { kind: 'skipped', line, source: 'sysmon', eventKind: `sysmon:${id}`, reason: `Sysmon EventID ${id} is not a process creation` }
  }
  if (record.channel === SECURITY_CHANNEL) {
    if (id === '4688') return toItem('security-4688', normalizeSecurity4688(record), record, line, offset, rawOffset, rawLength, storable)
    return { kind: 'skipped', line, source: 'other', eventKind: `security:${id}`, reason: `Security EventID ${id} is not a process creation` }
  }
  const channel = record.channel ?? ''
  return {
    kind: 'skipped',
    line,
    source: 'other',
    eventKind: `windows:${channel.slice(0, MAX_KIND_CHANNEL)}:${id}`,
    reason: `channel '${channel}' EventID ${id} is not a supported process-creation source`,
  }
}
