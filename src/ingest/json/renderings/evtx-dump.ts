import { attributeOf, dataValue, keywordsText, objectAt, own, systemTimeOf, textOf } from '../field-values.js'
import type { WindowsJsonRendering } from './rendering.js'

/**
 * evtx_dump / python-evtx style `{"Event":{"System":{…},"EventData":{…}}}` (the Sigma regression
 * data): elements become keys, attributes `#attributes`, an element with both `#text`. Such tools
 * print GUID-typed values without the braces Windows renders (`0197231E-…` for
 * `{0197231E-…}`), so a bare GUID in a Data value whose name ends in `Guid` gets them back; the
 * same event then normalizes identically from its XML and its JSON.
 */

const BARE_GUID = /^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$/

export const evtxDumpRendering: WindowsJsonRendering = {
  name: 'evtx_dump',
  dataField: 'Event.EventData',
  view(e) {
    const event = objectAt(e, 'Event')
    const system = objectAt(event, 'System')
    if (system === null) return null
    const data = objectAt(event, 'EventData')
    return {
      eventId: textOf(own(system, 'EventID')),
      channel: textOf(own(system, 'Channel')),
      computer: textOf(own(system, 'Computer')),
      recordId: textOf(own(system, 'EventRecordID')),
      keywords: keywordsText(own(system, 'Keywords')),
      provider: attributeOf(system, 'Provider', 'Name'),
      systemTime: systemTimeOf([attributeOf(system, 'TimeCreated', 'SystemTime')]),
      userId: attributeOf(system, 'Security', 'UserID'),
      data: {
        get(name) {
          const v = dataValue(own(data, name))
          return v !== undefined && name.endsWith('Guid') && BARE_GUID.test(v) ? `{${v}}` : v
        },
      },
      hasData: data !== null,
    }
  },
}
