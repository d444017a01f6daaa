import { dataLookup, isJsonObject, keywordsText, own, systemTimeOf, textOf, type JsonObject } from '../field-values.js'
import type { WindowsJsonRendering } from './rendering.js'

/**
 * Flat JSON with the event data at the top level, as NXLog `to_json()` writes it (`EventID`,
 * `Channel`, `Hostname`, `RecordNumber`, `EventTime`, `Keywords` as a signed decimal, `UserID`)
 * and as OTRF Security-Datasets and Azure Monitor exports do (`Computer`, `TimeCreated`,
 * `TimeGenerated`; Azure may nest the data as a JSON string under `EventData`). The System time is
 * the first of TimeCreated, SystemTime, EventTime, @timestamp, TimeGenerated that carries a zone;
 * a zone-less one (NXLog's EventTime is the collector's local time) is read as UTC only as a last resort.
 */

function nestedData(e: JsonObject): JsonObject | null {
  let v = own(e, 'EventData')
  if (typeof v === 'string' && v.trimStart().startsWith('{')) {
    try {
      v = JSON.parse(v)
    } catch {
      return null
    }
  }
  return isJsonObject(v) ? v : null
}

export const flatRendering: WindowsJsonRendering = {
  name: 'flat JSON',
  dataField: 'top-level data fields',
  view(e) {
    if (own(e, 'EventID') === undefined) return null
    const t = (key: string): string | null => textOf(own(e, key))
    return {
      eventId: t('EventID'),
      channel: t('Channel'),
      computer: t('Computer') ?? t('Hostname'),
      recordId: t('EventRecordID') ?? t('RecordNumber'),
      keywords: keywordsText(own(e, 'Keywords')),
      provider: t('SourceName') ?? t('ProviderName'),
      systemTime: systemTimeOf(['TimeCreated', 'SystemTime', 'EventTime', '@timestamp', 'TimeGenerated'].map((k) => own(e, k))),
      userId: t('UserID'),
      data: dataLookup(nestedData(e), e),
      hasData: true,
    }
  },
}
