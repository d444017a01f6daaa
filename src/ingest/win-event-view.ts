/**
 * What the Windows normalizers read from one event, whatever its rendering: the XML paths fill a
 * `WinEventRecord` (xml/win-event.ts); the JSON renderings (json/renderings/) answer the same
 * questions from the shipper's field names without copying the event. A rendering only changes
 * how these values are read, never how they are mapped to CIM.
 */
export interface WinEventView {
  /** `<EventID>` text (decimal; JSON numbers as text). */
  eventId: string | null
  channel: string | null
  computer: string | null
  recordId: string | null
  /** `<Keywords>` as XML writes it (`0x8020000000000000`); JSON names and signed decimals are converted. */
  keywords: string | null
  provider: string | null
  /** `<TimeCreated SystemTime=…>`: ISO 8601 in UTC (`…Z`). */
  systemTime: string | null
  /** `<Security UserID=…>`: the account that wrote the event (not the process user). */
  userId: string | null
  /** `<Data Name='X'>` values: `''` for an empty value, `undefined` when there is no such Data. */
  data: { get(name: string): string | undefined }
}
