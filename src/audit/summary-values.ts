import { createHash } from 'node:crypto'

/**
 * Readers for the audit summaries. Arguments may come from a request that failed before its
 * variables were checked (see mutation-root-fields.ts), so every reader accepts anything and
 * returns undefined for what it does not expect; and everything kept is small.
 */

const MAX_TEXT = 200
const MAX_ITEMS = 20

/** A string, cut to `max` characters. */
export function text(v: unknown, max = MAX_TEXT): string | undefined {
  if (typeof v !== 'string') return undefined
  return v.length > max ? `${v.slice(0, max)}…` : v
}

/** An identifier as sent (it may name nothing, or be no uuid at all). */
export const id = (v: unknown): string | undefined => text(v, 100)

export function int(v: unknown): number | undefined {
  if (typeof v === 'bigint') return Number(v)
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined
}

export const bool = (v: unknown): boolean | undefined => (typeof v === 'boolean' ? v : undefined)

/** A DateTime argument (a Date once coerced, a string before). */
export function time(v: unknown): string | undefined {
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? undefined : v.toISOString()
  return text(v, 40)
}

/** Large text (YAML, CSV, a log) is never stored: its size and SHA-256 identify it. */
export function digest(v: unknown): { bytes: number; sha256: string } | undefined {
  if (typeof v !== 'string') return undefined
  return { bytes: Buffer.byteLength(v, 'utf8'), sha256: createHash('sha256').update(v, 'utf8').digest('hex') }
}

export const count = (v: unknown): number | undefined => (Array.isArray(v) ? v.length : undefined)

/** The length in characters (code points) of a text that is itself never stored, e.g. a comment. */
export const length = (v: unknown): number | undefined => (typeof v === 'string' ? [...v].length : undefined)

/** The first items of a list, each read with `read`. */
export function firstItems<T>(v: unknown, read: (item: unknown) => T | undefined): T[] | undefined {
  if (!Array.isArray(v)) return undefined
  return v.slice(0, MAX_ITEMS).map(read).filter((x): x is T => x !== undefined)
}

/** A member of an object, or undefined for anything else. */
export function member(v: unknown, key: string): unknown {
  return typeof v === 'object' && v !== null && !(v instanceof Promise) ? (v as Record<string, unknown>)[key] : undefined
}
