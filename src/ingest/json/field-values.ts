import { parseShipperTime } from '../times.js'

/**
 * Reading JSON shipper values as the text the XML rendering would hold, so the shared normalizers
 * see one vocabulary. Numbers become their decimal text (exact up to 2^53, which covers ids and
 * record numbers); `#text` objects (evtx_dump's element-with-attributes form) are their text.
 */

export type JsonObject = Record<string, unknown>

/** An own property (never one inherited from `Object.prototype`, whatever the key). */
export const own = (o: JsonObject | null, key: string): unknown => (o !== null && Object.hasOwn(o, key) ? o[key] : undefined)

/** Whether a parsed JSON value is an object (not null, not an array). */
export const isJsonObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v)

export function objectAt(o: JsonObject | null, key: string): JsonObject | null {
  const v = own(o, key)
  return isJsonObject(v) ? v : null
}

/** A System value: strings, numbers and booleans as text, `{"#text": v}` as v; anything else null. */
export function textOf(v: unknown): string | null {
  if (typeof v === 'string') return v
  if (typeof v === 'number' || typeof v === 'boolean') return String(v)
  if (isJsonObject(v) && Object.hasOwn(v, '#text')) return textOf(v['#text'])
  return null
}

/** A Data value: like `textOf`, and `null` is an empty element (`''`); objects and arrays are no Data. */
export const dataValue = (v: unknown): string | undefined => (v === null ? '' : (textOf(v) ?? undefined))

/**
 * An XML attribute of `element` as the evtx crate renders it: `{"#attributes": {name: v}}` under the
 * element (evtx_dump's default), or `{"<element>_attributes": {name: v}}` beside it (its
 * `--separate-json-attributes`, the rendering Chainsaw prints).
 */
export const attributeOf = (o: JsonObject | null, element: string, name: string): string | null =>
  textOf(own(objectAt(objectAt(o, element), '#attributes'), name)) ?? textOf(own(objectAt(o, `${element}_attributes`), name))

/** The Data lookup over an event-data object, then (for flat renderings) the event itself. */
export function dataLookup(data: JsonObject | null, fallback: JsonObject | null = null): { get(name: string): string | undefined } {
  return {
    get(name) {
      const v = dataValue(own(data, name))
      return v !== undefined || fallback === null ? v : dataValue(own(fallback, name))
    },
  }
}

const KEYWORD_NAMES: Readonly<Record<string, bigint>> = {
  'audit success': 0x8020000000000000n,
  'audit failure': 0x8010000000000000n,
}

const hex64 = (v: bigint): string => `0x${BigInt.asUintN(64, v).toString(16).padStart(16, '0')}`

/**
 * `<Keywords>` as XML writes it: hex text is kept; NXLog's signed 64-bit decimal (a JSON number,
 * exact for the audit masks) and decimal text are converted; Winlogbeat's names (`["Audit Success"]`)
 * become the audit mask they name. Anything else is null.
 */
export function keywordsText(v: unknown): string | null {
  if (typeof v === 'string') {
    const t = v.trim()
    if (/^0x[0-9a-f]+$/i.test(t)) return t
    if (/^-?\d{1,20}$/.test(t)) return hex64(BigInt(t))
    const named = KEYWORD_NAMES[t.toLowerCase()]
    return named === undefined ? null : hex64(named)
  }
  if (typeof v === 'number') return Number.isInteger(v) ? hex64(BigInt(v)) : null
  if (Array.isArray(v)) {
    for (const name of v) {
      const named = typeof name === 'string' ? KEYWORD_NAMES[name.trim().toLowerCase()] : undefined
      if (named !== undefined) return hex64(named)
    }
  }
  return null
}

/**
 * `TimeCreated SystemTime` from shipper time fields, in order of preference: the first value with
 * a zone (`Z` or an offset) wins; failing that, the first zone-less one, read as UTC. Returned as
 * ISO 8601 UTC text; null when no candidate is a time.
 */
export function systemTimeOf(candidates: readonly unknown[]): string | null {
  let fallback: number | null = null
  for (const v of candidates) {
    if (typeof v !== 'string') continue
    const t = parseShipperTime(v.trim())
    if (t === null) continue
    if (t.zoned) return new Date(t.time).toISOString()
    fallback ??= t.time
  }
  return fallback === null ? null : new Date(fallback).toISOString()
}
