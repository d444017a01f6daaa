import { InvalidInputError } from '../errors.js'
import { isUuid } from './rules.js'

/** Opaque keyset cursors: base64url of `<sort value>|<id>`. */
export function encodeCursor(sortValue: string, id: string): string {
  return Buffer.from(`${sortValue}|${id}`, 'utf8').toString('base64url')
}

export function decodeCursor(cursor: string, argument = 'after'): { sortValue: string; id: string } {
  const text = Buffer.from(cursor, 'base64url').toString('utf8')
  const bar = text.lastIndexOf('|')
  if (bar <= 0) throw notACursor(argument)
  return { sortValue: text.slice(0, bar), id: text.slice(bar + 1) }
}

/** Milliseconds that JavaScript dates (and so cursors made from them) can hold: ±10^8 days. */
const MAX_DATE_MS = 8.64e15

/**
 * A cursor of a list sorted by time then id (`<epoch ms>|<uuid>`), checked to the end: a cursor
 * that was edited or made up is refused as bad input, never passed on to a query it could break.
 * A well-formed forged one is harmless: it is only a position, and every query keeps its tenant filter.
 */
export function decodeTimeCursor(cursor: string, argument = 'after'): { time: Date; id: string } {
  const { sortValue, id } = decodeCursor(cursor, argument)
  const ms = /^-?\d{1,16}$/.test(sortValue) ? Number(sortValue) : NaN
  if (!(Math.abs(ms) <= MAX_DATE_MS) || !isUuid(id)) throw notACursor(argument)
  return { time: new Date(ms), id }
}

/**
 * A cursor of a list sorted by time then a serial (bigint) id, such as process events
 * (`<epoch ms>|<digits>`), checked to the end like decodeTimeCursor.
 */
export function decodeTimeSerialCursor(cursor: string, argument = 'after'): { timeMs: number; id: string } {
  const { sortValue, id } = decodeCursor(cursor, argument)
  const ms = /^-?\d{1,16}$/.test(sortValue) ? Number(sortValue) : NaN
  if (!(Math.abs(ms) <= MAX_DATE_MS) || !/^\d{1,19}$/.test(id) || BigInt(id) > 9223372036854775807n) throw notACursor(argument)
  return { timeMs: ms, id }
}

const notACursor = (argument: string): InvalidInputError => new InvalidInputError(`"${argument}" is not a cursor returned by this API`, { field: argument })

/** Validates `first` against a page-size cap. */
export function pageSize(first: number | null | undefined, fallback: number, max: number, argument = 'first'): number {
  const n = first ?? fallback
  if (!Number.isInteger(n) || n < 0 || n > max) {
    throw new InvalidInputError(`"${argument}" must be an integer from 0 to ${max}`, { field: argument, max })
  }
  return n
}
