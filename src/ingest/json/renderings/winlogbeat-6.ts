import { dataLookup, keywordsText, objectAt, own, systemTimeOf, textOf } from '../field-values.js'
import type { WindowsJsonRendering } from './rendering.js'

/**
 * Winlogbeat 6 (before ECS): `event_id`, `log_name`, `computer_name`, `record_number`,
 * `keywords`, `source_name`, `user.identifier`, `event_data{}` at the top, `@timestamp` = TimeCreated.
 */
export const winlogbeat6Rendering: WindowsJsonRendering = {
  name: 'Winlogbeat 6',
  dataField: 'event_data',
  view(e) {
    if (own(e, 'event_id') === undefined || own(e, 'log_name') === undefined) return null
    const data = objectAt(e, 'event_data')
    return {
      eventId: textOf(own(e, 'event_id')),
      channel: textOf(own(e, 'log_name')),
      computer: textOf(own(e, 'computer_name')),
      recordId: textOf(own(e, 'record_number')),
      keywords: keywordsText(own(e, 'keywords')),
      provider: textOf(own(e, 'source_name')),
      systemTime: systemTimeOf([own(e, '@timestamp')]),
      userId: textOf(own(objectAt(e, 'user'), 'identifier')),
      data: dataLookup(data),
      hasData: data !== null,
    }
  },
}
