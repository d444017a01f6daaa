import { InvalidInputError } from '../errors.js'

/** Opaque keyset cursors: base64url of `<sort value>|<id>`. */
export function encodeCursor(sortValue: string, id: string): string {
  return Buffer.from(`${sortValue}|${id}`, 'utf8').toString('base64url')
}

export function decodeCursor(cursor: string, argument = 'after'): { sortValue: string; id: string } {
  const text = Buffer.from(cursor, 'base64url').toString('utf8')
  const bar = text.lastIndexOf('|')
  if (bar <= 0) throw new InvalidInputError(`"${argument}" is not a cursor returned by this API`, { field: argument })
  return { sortValue: text.slice(0, bar), id: text.slice(bar + 1) }
}

/** Validates `first` against a page-size cap. */
export function pageSize(first: number | null | undefined, fallback: number, max: number, argument = 'first'): number {
  const n = first ?? fallback
  if (!Number.isInteger(n) || n < 0 || n > max) {
    throw new InvalidInputError(`"${argument}" must be an integer from 0 to ${max}`, { field: argument, max })
  }
  return n
}
