import { errorItem, type ItemSink } from '../types.js'
import { isJsonObject } from './field-values.js'
import { describeJsonError } from './json-error.js'
import { splunkRawEvent } from './splunk-raw.js'
import { jsonValueItem } from './value-item.js'

/** Reads one XML event given as text, its items pointing at `rawOffset`/`rawLength` (the record that held it). */
export type EmbeddedXmlReader = (text: string, line: number, offset: number, rawOffset: number, rawLength: number) => void

/** Where a record's events go, and how the events it holds as text are read. */
export interface ObjectSink {
  readonly out: ItemSink
  readonly hostOf?: (aid: string) => string | undefined
  /** Reads the XML event of a Splunk export's `_raw` (splunk-raw.ts); without it, `_raw` is not looked at for XML. */
  readonly embeddedXml?: EmbeddedXmlReader
}

/**
 * One record read as an object — a JSON value, a CSV row — to its item: the event of a Splunk
 * export's `_raw` when it holds one (XML read by the embedded reader, JSON parsed), else the object
 * itself (value-item.ts). Every item points at `rawOffset`/`rawLength`, the record's bytes.
 */
export function pushObjectItem(sink: ObjectSink, value: unknown, line: number, offset: number, rawOffset: number, rawLength: number): void {
  const raw = isJsonObject(value) ? splunkRawEvent(value) : null
  if (raw?.kind === 'xml' && sink.embeddedXml !== undefined) return sink.embeddedXml(raw.text, line, offset, rawOffset, rawLength)
  if (raw?.kind === 'json') {
    try {
      value = JSON.parse(raw.text)
    } catch (err) {
      return void sink.out.push(errorItem(line, offset, `Splunk export: the event's _raw is not JSON: ${describeJsonError(raw.text, err, 1, 0).replace(/^invalid JSON: /, '')}`))
    }
  }
  sink.out.push(jsonValueItem(value, line, offset, rawOffset, rawLength, sink.hostOf))
}
