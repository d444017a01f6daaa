import { CIM_PROCESS_FIELDS, type ProcessEvent } from '../detection/index.js'

/**
 * Text from an upload as Postgres can store it. Postgres text and json refuse two things a JSON
 * log may well contain (`\u0000`, or a `\ud800` with no pair): one of them in a detection's
 * fields, an error message or a skipped kind used to fail the whole upload's transaction. So, as
 * the reader hands them on: NUL characters are dropped (as COPY drops them from stored events)
 * and an unpaired surrogate becomes U+FFFD (what encoding it as UTF-8 gives anyway).
 */

const UNSTORABLE = /[\u0000\uD800-\uDFFF]/
const NUL = /\u0000/g
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g

export function storableText(text: string): string {
  // The common case, a value with neither, costs one scan.
  if (!UNSTORABLE.test(text)) return text
  return text.replace(NUL, '').replace(LONE_SURROGATE, '\uFFFD')
}

/** The event with every field storable (the same object when nothing needed a change). */
export function storableEvent(event: ProcessEvent): ProcessEvent {
  let copy: Record<string, string | number | null> | null = null
  for (const field of CIM_PROCESS_FIELDS) {
    const value = event[field]
    if (value === null || !UNSTORABLE.test(value)) continue
    ;(copy ??= { ...event })[field] = storableText(value)
  }
  return (copy as ProcessEvent | null) ?? event
}
