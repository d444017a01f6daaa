import { dataLookup, keywordsText, objectAt, own, systemTimeOf, textOf } from '../field-values.js'
import type { WindowsJsonRendering } from './rendering.js'

/**
 * Winlogbeat 7+/Elastic Agent (ECS) documents as the beat writes them: `winlog.{event_id,
 * channel, computer_name, record_id, keywords, provider_name, user.identifier, event_data}` and
 * `@timestamp` (the event's TimeCreated). Documents whose `winlog.event_data` an ingest pipeline
 * has already moved into ECS fields have no event data and are not read.
 */
export const winlogbeatRendering: WindowsJsonRendering = {
  name: 'Winlogbeat',
  dataField: 'winlog.event_data',
  view(e) {
    const w = objectAt(e, 'winlog')
    if (w === null) return null
    const data = objectAt(w, 'event_data')
    return {
      eventId: textOf(own(w, 'event_id')) ?? textOf(own(objectAt(e, 'event'), 'code')),
      channel: textOf(own(w, 'channel')),
      computer: textOf(own(w, 'computer_name')),
      recordId: textOf(own(w, 'record_id')),
      keywords: keywordsText(own(w, 'keywords')),
      provider: textOf(own(w, 'provider_name')),
      systemTime: systemTimeOf([own(e, '@timestamp')]),
      userId: textOf(own(objectAt(w, 'user'), 'identifier')),
      data: dataLookup(data),
      hasData: data !== null,
    }
  },
}
