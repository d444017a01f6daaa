import { objectAt, own, type JsonObject } from './field-values.js'

/**
 * Events exported from Splunk as JSON (`splunk search … -output json`, the REST export endpoint,
 * the UI's "Export → JSON"): one object a line, `{"preview":false,"result":{"_raw":"…","_time":…,
 * "host":…,"sourcetype":…}}`, or the `result` object alone. The event itself is `_raw` exactly as
 * Splunk indexed it — an XmlWinEventLog `<Event>` or a CrowdStrike FDR JSON line — and is read as
 * that text, so a detection engineer can replay what Splunk holds.
 */

/** The `_raw` text of a Splunk export object when it holds an XML event (`<`) or a JSON object (`{`); else null. */
export function splunkRawEvent(value: JsonObject): { kind: 'xml' | 'json'; text: string } | null {
  const raw = own(objectAt(value, 'result') ?? value, '_raw')
  if (typeof raw !== 'string') return null
  const first = raw.trimStart()[0]
  return first === '<' ? { kind: 'xml', text: raw } : first === '{' ? { kind: 'json', text: raw } : null
}
