import type { WinEventView } from '../win-event-view.js'

/**
 * What both XML paths (fast and strict) extract from one Windows `<Event>`: the System values the
 * normalizers need and every named `<Data>`. The two paths must produce identical records; the
 * property tests compare them field by field.
 */

export interface WinEventRecord extends WinEventView {
  /** `<Data Name='X'>v</Data>` → X → v (decoded; `''` for an empty or self-closing element). */
  data: Map<string, string>
}

export const newWinEventRecord = (): WinEventRecord => ({
  eventId: null,
  channel: null,
  computer: null,
  recordId: null,
  keywords: null,
  provider: null,
  systemTime: null,
  userId: null,
  data: new Map(),
})

type TextKey = 'eventId' | 'channel' | 'computer' | 'recordId' | 'keywords'
type AttrKey = 'provider' | 'systemTime' | 'userId'

/** System children whose text is kept. The first occurrence wins in both paths. */
export const SYSTEM_TEXT: Readonly<Record<string, TextKey>> = {
  EventID: 'eventId',
  Channel: 'channel',
  Computer: 'computer',
  EventRecordID: 'recordId',
  Keywords: 'keywords',
}

/** System child attributes that are kept: element → attribute → record key. */
export const SYSTEM_ATTRS: Readonly<Record<string, Readonly<Record<string, AttrKey>>>> = {
  Provider: { Name: 'provider' },
  TimeCreated: { SystemTime: 'systemTime' },
  Security: { UserID: 'userId' },
}

export function setText(record: WinEventRecord, element: string, value: string): void {
  const key = SYSTEM_TEXT[element]
  if (key !== undefined && record[key] === null) record[key] = value
}

export function setAttr(record: WinEventRecord, element: string, attribute: string, value: string): void {
  const key = SYSTEM_ATTRS[element]?.[attribute]
  if (key !== undefined && record[key] === null) record[key] = value
}

export function setData(record: WinEventRecord, name: string, value: string): void {
  if (!record.data.has(name)) record.data.set(name, value)
}
