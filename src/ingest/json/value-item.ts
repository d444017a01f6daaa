import { crowdstrikeItem, isCrowdStrikeEvent } from '../crowdstrike/event-item.js'
import { errorItem, type IngestItem } from '../types.js'
import { isProcessCreation, windowsEventId, windowsEventItem } from '../windows-event.js'
import { isJsonObject } from './field-values.js'
import { WINDOWS_JSON_RENDERINGS } from './renderings/index.js'

/**
 * One parsed JSON value → an item. CrowdStrike FDR is recognized by `event_simpleName`; Windows
 * events by their rendering's marker field (renderings/index.ts) and then routed exactly like
 * XML events. Any other object is skipped as `json:unsupported`; a non-object is an error.
 * `rawOffset`/`rawLength` are where the value's text is in the input (IngestItem).
 */
export function jsonValueItem(
  value: unknown,
  line: number,
  offset: number,
  rawOffset: number,
  rawLength: number,
  hostOf?: (aid: string) => string | undefined,
): IngestItem {
  if (!isJsonObject(value)) return errorItem(line, offset, 'JSON line is not an object')
  const event = value
  if (isCrowdStrikeEvent(event)) return crowdstrikeItem(event, line, offset, rawOffset, rawLength, hostOf)
  for (const rendering of WINDOWS_JSON_RENDERINGS) {
    const view = rendering.view(event)
    if (view === null) continue
    if (!view.hasData) {
      const id = windowsEventId(view)
      if ('id' in id && isProcessCreation(view.channel, id.id)) {
        return errorItem(line, offset, `${rendering.name} event (${view.channel} EventID ${id.id}) has no ${rendering.dataField}`)
      }
    }
    return windowsEventItem(view, line, offset, rawOffset, rawLength)
  }
  return { kind: 'skipped', line, source: 'other', eventKind: 'json:unsupported', reason: 'unsupported JSON rendering' }
}
